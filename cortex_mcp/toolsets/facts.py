"""Toolset `facts` (default): facts with belief revision, search (now or as of a time), history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from cortex_mcp.api import facts as api
from cortex_mcp.contract.enums import FactType
from cortex_mcp.toolsets.base import Registrar

SpaceArg = Annotated[str | None, Field(description="Memory space. Default: the server's memory space")]


class Fact(BaseModel):
    fact_id: str
    fact: str
    fact_type: str
    subject: str | None = None
    predicate: str | None = None
    object: str | None = None
    confidence: float
    tags: list[str]
    user_id: str | None = None
    version: int
    valid_from: int | None = Field(None, description="Believed from this time (ms)")
    valid_until: int | None = Field(None, description="Believed until this time (ms); absent = still current")
    superseded_by: str | None = None
    supersedes: str | None = None
    created_at: int

    @classmethod
    def of(cls, doc: dict) -> "Fact":
        def ms(key: str) -> int | None:
            return int(doc[key]) if key in doc else None

        return cls(
            fact_id=doc["factId"],
            fact=doc["fact"],
            fact_type=doc["factType"],
            subject=doc.get("subject"),
            predicate=doc.get("predicate"),
            object=doc.get("object"),
            confidence=doc["confidence"],
            tags=doc.get("tags", []),
            user_id=doc.get("userId"),
            version=int(doc["version"]),
            valid_from=ms("validFrom"),
            valid_until=ms("validUntil"),
            superseded_by=doc.get("supersededBy"),
            supersedes=doc.get("supersedes"),
            created_at=int(doc["createdAt"]),
        )


class StoreFactResult(BaseModel):
    action: Literal["ADD", "UPDATE", "SUPERSEDE", "NONE"] = Field(
        description="ADD: new belief; UPDATE: same belief, refined; SUPERSEDE: replaces an older belief; NONE: already known"
    )
    fact: Fact = Field(description="The stored fact (for NONE: the existing one)")
    superseded: Fact | None = Field(None, description="The belief this one replaced")
    reason: str


class FactList(BaseModel):
    facts: list[Fact]
    count: int
    as_of: int | None = None


class FactHistory(BaseModel):
    versions: list[Fact] = Field(description="The belief's versions, oldest first (superseded ones included)")
    events: list[dict[str, Any]] = Field(description="Change events (CREATE, UPDATE, SUPERSEDE, DELETE), oldest first")


def register(reg: Registrar) -> None:
    rt = reg.runtime

    async def store_fact(
        fact: Annotated[str, Field(min_length=1, description="The fact as one sentence, e.g. 'Alex lives in Berlin'")],
        subject: Annotated[str | None, Field(description="Who/what it is about, e.g. 'Alex' (enables belief revision)")] = None,
        predicate: Annotated[str | None, Field(description="The relation, e.g. 'lives in'")] = None,
        object: Annotated[str | None, Field(description="The value, e.g. 'Berlin'")] = None,
        fact_type: Annotated[FactType, Field(description="Kind of fact")] = "custom",
        confidence: Annotated[float, Field(ge=0, le=100, description="0–100, how sure you are (a value ≤ 1 is read as a fraction)")] = 80,
        tags: Annotated[list[str] | None, Field(description="Labels for filtering")] = None,
        user_id: Annotated[str | None, Field(description="User the fact belongs to. Default: the server's user")] = None,
        memory_space_id: SpaceArg = None,
    ) -> StoreFactResult:
        """Store a fact with belief revision: if it changes something already known (same subject
        and kind of relation, e.g. a new city someone lives in), the old fact is superseded and kept
        in history. Use for durable facts about people, projects and the world."""
        result = await api.revise(
            rt.backend,
            memory_space_id=rt.space(memory_space_id),
            fact=fact,
            confidence=api.normalise_confidence(confidence),
            fact_type=fact_type,
            subject=subject,
            predicate=predicate,
            object=object,
            tags=tags,
            user_id=rt.user(user_id),
            participant_id=rt.config.agent_id,
            source_type="tool",
        )
        return StoreFactResult(
            action=result["action"],
            fact=Fact.of(result["fact"]),
            superseded=Fact.of(result["superseded"]) if result.get("superseded") else None,
            reason=result["reason"],
        )

    async def search_facts(
        query: Annotated[str, Field(min_length=1, description="Words to look for in the fact text")],
        as_of: Annotated[
            int | None, Field(ge=0, description="Answer as believed at this time (epoch ms); default: now")
        ] = None,
        subject: Annotated[str | None, Field(description="Only facts about this exact subject")] = None,
        fact_type: Annotated[FactType | None, Field(description="Only this kind of fact")] = None,
        min_confidence: Annotated[float | None, Field(ge=0, le=100, description="Only facts at least this sure")] = None,
        limit: Annotated[int, Field(ge=1, le=50, description="Max facts (default 10)")] = 10,
        memory_space_id: SpaceArg = None,
    ) -> FactList:
        """Find current facts by words they contain (superseded and deleted ones excluded), or with
        `as_of`, what was believed at that time."""
        found = await api.search(
            rt.backend,
            memory_space_id=rt.space(memory_space_id),
            query=query,
            as_of=as_of,
            subject=subject,
            fact_type=fact_type,
            min_confidence=min_confidence,
            limit=limit,
        )
        return FactList(facts=[Fact.of(f) for f in found], count=len(found), as_of=as_of)

    async def get_fact_history(
        fact_id: Annotated[str, Field(min_length=1, description="Any version's fact id (fact-...)")],
        memory_space_id: SpaceArg = None,
    ) -> FactHistory:
        """Show how a belief changed: every version (oldest first) and the change events."""
        result = await api.history(rt.backend, memory_space_id=rt.space(memory_space_id), fact_id=fact_id)
        return FactHistory(versions=[Fact.of(f) for f in result["chain"]], events=result["events"])

    reg.add(store_fact, title="Store a fact", read_only=False)
    reg.add(search_facts, title="Search facts", read_only=True)
    reg.add(get_fact_history, title="Fact history", read_only=True)
