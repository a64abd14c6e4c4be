"""Toolset `users` (opt-in): profiles, bulk operations, export, and the GDPR cascade delete.

Also carries every `users:*` and `gdpr:*` backend function as a generated tool.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from cortex_mcp.api import users as api
from cortex_mcp.errors import CortexError
from cortex_mcp.toolsets.base import Registrar, bounded_data
from cortex_mcp.toolsets.generated import register_module

MAX_ITEMS_PER_LAYER = 200  # keeps a heavy user's dry run readable; `counts` has the full numbers
UserIdArg = Annotated[str, Field(min_length=1, description="User id")]
UserIdsArg = Annotated[list[str], Field(min_length=1, max_length=100, description="User ids (1–100, no repeats)")]


class Profile(BaseModel):
    user_id: str
    data: Any
    version: int
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, doc: dict) -> Profile:
        return cls(
            user_id=doc["id"],
            data=bounded_data(doc["data"]),
            version=int(doc["version"]),
            created_at=int(doc["createdAt"]),
            updated_at=int(doc["updatedAt"]),
        )


class Profiles(BaseModel):
    users: list[Profile]
    count: int


class Verification(BaseModel):
    complete: bool
    issues: list[str]


class UserDeletion(BaseModel):
    user_id: str
    dry_run: bool
    deleted: bool
    total: int = Field(description="Records deleted (or, in a dry run, that would be)")
    counts: dict[str, int] | None = Field(None, description="Per layer: conversations, memories, facts, ...")
    memory_space_ids: list[str] | None = None
    items: dict[str, list[Any]] | None = Field(
        None, description=f"The records per layer (ids; at most {MAX_ITEMS_PER_LAYER} per layer, see counts)"
    )
    verification: Verification | None = None

    @classmethod
    def of(cls, r: dict) -> UserDeletion:
        return cls(
            user_id=r["userId"],
            dry_run=r["dryRun"],
            deleted=r["deleted"],
            total=r["total"],
            counts=r.get("counts"),
            memory_space_ids=r.get("memorySpaceIds"),
            items={k: v[:MAX_ITEMS_PER_LAYER] for k, v in r["items"].items()} if r.get("items") else None,
            verification=r.get("verification"),
        )


class Deletions(BaseModel):
    results: list[UserDeletion]
    deleted_users: int


class Export(BaseModel):
    format: str
    content: str


def register(reg: Registrar) -> None:
    rt = reg.runtime
    register_module(reg, "users")
    register_module(reg, "gdpr")

    async def get_user(user_id: UserIdArg) -> Profile:
        """Get a user's profile (the data stored about them). To create one, use update_user."""
        found = await api.get(rt.backend, user_id=user_id)
        if found is None:
            raise CortexError(
                f"User {user_id} has no profile",
                code="USER_NOT_FOUND",
                field="user_id",
                hint="Create it with update_user.",
            )
        return Profile.of(found)

    async def update_user(
        user_id: UserIdArg,
        data: Annotated[
            dict[str, Any], Field(description="Profile data, e.g. {'displayName': 'Alex', 'language': 'de'}")
        ],
        merge: Annotated[bool, Field(description="Merge into the current profile (default) or replace it")] = True,
    ) -> Profile:
        """Create or update a user's profile; every change is a new version (history kept)."""
        return Profile.of(await api.update(rt.backend, user_id=user_id, data=data, merge=merge))

    async def search_users(
        query: Annotated[str, Field(min_length=1, description="Text to find in profile data")],
        limit: Annotated[int, Field(ge=1, le=100, description="Max users")] = 20,
    ) -> Profiles:
        """Find users whose profile data contains the text."""
        found = await api.search(rt.backend, query=query, limit=limit)
        return Profiles(users=[Profile.of(p) for p in found], count=len(found))

    async def update_users(
        user_ids: UserIdsArg, data: Annotated[dict[str, Any], Field(description="Data merged into each profile")]
    ) -> Profiles:
        """Merge the same data into several existing profiles."""
        updated = await api.update_many(rt.backend, user_ids=user_ids, data=data)
        return Profiles(users=[Profile.of(p) for p in updated], count=len(updated))

    async def delete_user(
        user_id: UserIdArg,
        cascade: Annotated[
            bool, Field(description="Erase ALL the user's data in every layer and memory space (GDPR)")
        ] = False,
        dry_run: Annotated[bool, Field(description="Only list what would be deleted")] = False,
    ) -> UserDeletion:
        """Delete a user's profile, or with cascade=true erase everything of the user (right to be
        forgotten) in one transaction, then verify nothing is left. Run with dry_run=true first."""
        return UserDeletion.of(await api.delete(rt.backend, user_id=user_id, cascade=cascade, dry_run=dry_run))

    async def delete_users(
        user_ids: UserIdsArg,
        cascade: Annotated[bool, Field(description="Erase all their data (GDPR)")] = False,
        dry_run: Annotated[bool, Field(description="Only list what would be deleted")] = False,
    ) -> Deletions:
        """Delete several users (each as delete_user)."""
        results = [
            UserDeletion.of(r)
            for r in await api.delete_many(rt.backend, user_ids=user_ids, cascade=cascade, dry_run=dry_run)
        ]
        return Deletions(results=results, deleted_users=sum(r.deleted for r in results))

    async def export_users(
        format: Annotated[Literal["json", "csv"], Field(description="json or csv")] = "json",
        limit: Annotated[int, Field(ge=1, le=10_000, description="Max users")] = 1000,
    ) -> Export:
        """Export user profiles as JSON or CSV text."""
        return Export(format=format, content=await api.export(rt.backend, format=format, limit=limit))

    reg.add(get_user, title="Get a user profile", read_only=True)
    reg.add(update_user, title="Create or update a user profile", read_only=False)
    reg.add(search_users, title="Search users", read_only=True)
    reg.add(update_users, title="Update several users", read_only=False)
    reg.add(delete_user, title="Delete a user (GDPR cascade)", read_only=False, destructive=True, idempotent=True)
    reg.add(delete_users, title="Delete several users", read_only=False, destructive=True, idempotent=True)
    reg.add(export_users, title="Export users", read_only=True)
