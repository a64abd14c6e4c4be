"""Optional embeddings: the provider seam (`--embeddings none|local|openai`).

An `Embedder` turns texts into vectors of one fixed model. The api layer asks it for a vector
when a memory is remembered or updated and when recall searches, and hands the vectors to the
backend through the contract (`memories:store` / `memories:update` / `memories:search` take an
`embedding`), so the same configuration works on the embedded and the Convex backend.

Vectors of two models cannot be compared: `models.py` records which model made a database's
vectors and refuses another one until `cortex-mcp reindex` has re-embedded them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from cortex_mcp.config import Config
from cortex_mcp.errors import CortexError

PROVIDERS = ("none", "local", "openai")
DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_OPENAI_MODEL = "text-embedding-3-small"


@runtime_checkable
class Embedder(Protocol):
    """One embedding model. `name` identifies the model (vectors of two names never mix);
    `dimension` is the vector length (0 until a remote model has answered once)."""

    name: str
    dimension: int

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit-length vector per text, in order. Raises `EmbeddingError`."""
        ...

    async def aclose(self) -> None: ...


class EmbeddingError(CortexError):
    """The embedding provider could not embed (not installed, unreachable, refused, malformed)."""

    code = "EMBEDDINGS_UNAVAILABLE"


def make_embedder(
    provider: str,
    *,
    url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    timeout: float = 30.0,
) -> Embedder | None:
    """The configured provider, or None for `none`. Raises ValueError for a bad choice and
    `EmbeddingError` when `local` is chosen without the `[embeddings]` extra installed."""
    if provider == "none":
        return None
    if provider == "local":
        from cortex_mcp.api.embeddings.local import LocalEmbedder

        if model not in (None, "", LocalEmbedder.MODEL):
            raise ValueError(f"--embeddings local runs {LocalEmbedder.MODEL} only; drop --embeddings-model {model!r}")
        return LocalEmbedder()
    if provider == "openai":
        from cortex_mcp.api.embeddings.openai import OpenAIEmbedder

        return OpenAIEmbedder(
            url=url or DEFAULT_OPENAI_URL, model=model or DEFAULT_OPENAI_MODEL, api_key=api_key, timeout=timeout
        )
    raise ValueError(f"--embeddings must be one of {', '.join(PROVIDERS)}, not {provider!r}")


def embedder_for(config: Config) -> Embedder | None:
    return make_embedder(
        config.embeddings,
        url=config.embeddings_url,
        model=config.embeddings_model,
        api_key=config.embeddings_key,
        timeout=config.embeddings_timeout,
    )
