"""Toolset `facts` (default): facts with belief revision, search (now or as of a time), history."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field

from cortex_mcp.api import facts as api
from cortex_mcp.contract.enums import FactType
from cortex_mcp.toolsets.base import Registrar, SpaceArg, UserArg, bounded, clip
from cortex_mcp.toolsets.render import Paging
from cortex_mcp.toolsets.times import TIME_HELP, to_ms


class Fact(BaseModel):
    text_omit: ClassVar = ("subject", "predicate", "object", "user_id", "version", "supersedes")
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
    valid_from: int | None = Field(None, description="Believed from (ms)")
    valid_until: int | None = Field(None, description="Believed until (ms); absent: still current")
    superseded_by: str | None = None
    supersedes: str | None = None
    created_at: int

    @classmethod
    def of(cls, doc: dict) -> Fact:
        def ms(key: str) -> int | None:
            return int(doc[key]) if key in doc else None

        return cls(
            fact_id=doc["factId"],
            fact=clip(doc["fact"]),
            fact_type=doc["factType"],
            subject=doc.get("subject"),
            predicate=doc.get("predicate"),
            object=doc.get("object"),
            confidence=doc["confidence"],
            tags=bounded(doc.get("tags")),
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
        description="ADD: new; UPDATE: refined; SUPERSEDE: replaced an older belief; NONE: already known"
    )
    fact: Fact = Field(description="The stored fact (for NONE: the existing one)")
    superseded: Fact | None = None
    reason: str


class FactList(BaseModel):
    text_omit: ClassVar = ("count",)
    paging: ClassVar = Paging("facts")
    facts: list[Fact]
    count: int
    as_of: int | None = None


class FactHistory(BaseModel):
    versions: list[Fact] = Field(description="Oldest first, superseded ones included")
    events: list[dict[str, Any]] = Field(description="CREATE, UPDATE, SUPERSEDE, DELETE events, oldest first")


def register(reg: Registrar) -> None:
    rt = reg.runtime

    async def store_fact(
        fact: Annotated[str, Field(min_length=1, description="One sentence, e.g. 'Alex lives in Berlin'")],
        subject: Annotated[str | None, Field(description="e.g. 'Alex' (enables belief revision)")] = None,
        predicate: Annotated[str | None, Field(description="e.g. 'lives in'")] = None,
        object: Annotated[str | None, Field(description="e.g. 'Berlin'")] = None,
        fact_type: Annotated[FactType, Field(description="Kind")] = "custom",
        confidence: Annotated[float, Field(ge=0, le=100, description="0-100")] = 80,
        tags: Annotated[list[str] | None, Field(description="Labels")] = None,
        user_id: UserArg = None,
        memory_space_id: SpaceArg = None,
    ) -> StoreFactResult:
        """Store a durable fact. One that changes a known fact (same subject and relation) supersedes
        it; the old one stays in history."""
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
        query: Annotated[str, Field(min_length=1, description="Words in the fact")],
        as_of: Annotated[str | int | None, Field(description=f"What was believed then: {TIME_HELP}")] = None,
        subject: Annotated[str | None, Field(description="Only this exact subject")] = None,
        fact_type: Annotated[FactType | None, Field(description="Only this kind")] = None,
        limit: Annotated[int, Field(ge=1, le=50, description="Max facts")] = 10,
        memory_space_id: SpaceArg = None,
    ) -> FactList:
        """Find current facts by words, or with as_of, what was believed then."""
        at = None if as_of is None else to_ms(as_of, "as_of")
        found = await api.search(
            rt.backend,
            memory_space_id=rt.space(memory_space_id),
            query=query,
            as_of=at,
            subject=subject,
            fact_type=fact_type,
            limit=limit,
        )
        return FactList(facts=[Fact.of(f) for f in found], count=len(found), as_of=at)

    async def get_fact_history(
        fact_id: Annotated[str, Field(min_length=1, description="Any version's id (fact-...)")],
        memory_space_id: SpaceArg = None,
    ) -> FactHistory:
        """How a belief changed: every version and change event, oldest first."""
        result = await api.history(rt.backend, memory_space_id=rt.space(memory_space_id), fact_id=fact_id)
        return FactHistory(versions=[Fact.of(f) for f in result["chain"]], events=result["events"])

    reg.add(store_fact, title="Store a fact", read_only=False)
    reg.add(search_facts, title="Search facts", read_only=True)
    reg.add(get_fact_history, title="Fact history", read_only=True)
