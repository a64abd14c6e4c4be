"""`--embeddings openai`: any OpenAI-compatible `/v1/embeddings` endpoint over httpx.

OpenAI itself, Ollama (`http://localhost:11434/v1`), LM Studio, vLLM... `--embeddings-url` is the
API base (`.../v1`) or the full `.../embeddings` URL. Texts go in batches; each request has the
configured timeout; every failure is an `EmbeddingError` that says what to check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import httpx

from cortex_mcp.api.embeddings import EmbeddingError

BATCH = 128  # inputs per request: well under every server's limit, few round trips for a reindex
_KEY_HINT = "Set OPENAI_API_KEY or CORTEX_EMBEDDINGS_KEY to a key the endpoint accepts."


def endpoint_of(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/embeddings") else url + "/embeddings"


class OpenAIEmbedder:
    def __init__(
        self,
        *,
        url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"--embeddings-url must be an http(s) URL, not {url!r}")
        self.endpoint = endpoint_of(url)
        self.model = model
        self.name = f"openai:{model}"
        self.dimension = 0  # learnt from the first answer
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = httpx.Timeout(timeout)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None  # opened on first use, again after aclose()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(headers=self._headers, timeout=self._timeout, transport=self._transport)
        return self._client

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            vectors.extend(await self._request(list(texts[start : start + BATCH])))
        return vectors

    async def _request(self, texts: list[str]) -> list[list[float]]:
        where = f"the embeddings endpoint {self.endpoint}"
        try:
            response = await self._http().post(self.endpoint, json={"model": self.model, "input": texts})
        except httpx.TimeoutException:
            raise EmbeddingError(
                f"{where} did not answer in time", hint="Check that it is running, or raise --timeout."
            ) from None
        except httpx.HTTPError as exc:
            raise EmbeddingError(
                f"could not reach {where}: {exc}", hint="Check --embeddings-url and that the server is running."
            ) from None
        if response.status_code in (401, 403):
            raise EmbeddingError(f"{where} refused the key ({response.status_code})", hint=_KEY_HINT)
        if response.status_code == 404:
            raise EmbeddingError(
                f"{where} answered 404 ({_server_message(response)})",
                hint="Check --embeddings-url (the API base, e.g. http://localhost:11434/v1) and --embeddings-model.",
            )
        if response.status_code >= 400:
            raise EmbeddingError(f"{where} answered {response.status_code}: {_server_message(response)}")
        return self._vectors(response, len(texts))

    def _vectors(self, response: httpx.Response, count: int) -> list[list[float]]:
        try:
            data = response.json()["data"]
            ordered = sorted(data, key=lambda item: item.get("index", 0))
            vectors = [[float(x) for x in item["embedding"]] for item in ordered]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise EmbeddingError(
                f"{self.endpoint} did not answer like an embeddings API ({response.text[:200]!r})",
                hint="Point --embeddings-url at an OpenAI-compatible /v1 API.",
            ) from None
        if len(vectors) != count:
            raise EmbeddingError(f"{self.endpoint} returned {len(vectors)} vectors for {count} texts")
        for vector in vectors:
            if not vector or not all(map(math.isfinite, vector)):
                raise EmbeddingError(f"{self.endpoint} returned an empty or non-finite vector")
            if self.dimension and len(vector) != self.dimension:
                raise EmbeddingError(
                    f"{self.endpoint} returned vectors of {len(vector)} numbers after {self.dimension} before "
                    f"(model {self.model} changed?)"
                )
            self.dimension = len(vector)
        return vectors

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def _server_message(response: httpx.Response) -> str:
    """The error text an OpenAI-style server puts in its body, else the start of the body."""
    try:
        body: Any = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if isinstance(error, str):
            return error[:300]
    except ValueError:
        pass
    return response.text[:300] or response.reason_phrase
