"""Fixtures of the embeddings tests: the loopback OpenAI-compatible server and embedders on it."""

from __future__ import annotations

import pytest

from cortex_mcp.api.embeddings.openai import OpenAIEmbedder
from tests.embeddings.openai_server import FakeOpenAI


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def embedders(server):
    made: list[OpenAIEmbedder] = []

    def make(model: str = "model-a") -> OpenAIEmbedder:
        made.append(OpenAIEmbedder(url=server.url, model=model, api_key="test-key"))
        return made[-1]

    yield make
    for embedder in made:
        await embedder.aclose()
