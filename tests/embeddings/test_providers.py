"""The provider seam: choosing a provider, the OpenAI-compatible client against a real local
HTTP server, and the local MiniLM model (skipped, with the reason, without the extra)."""

from __future__ import annotations

import math

import pytest

from cortex_mcp.api.embeddings import Embedder, EmbeddingError, make_embedder
from cortex_mcp.api.embeddings import local as local_module
from cortex_mcp.api.embeddings.openai import BATCH, OpenAIEmbedder
from tests.embeddings.openai_server import DIMENSION, FakeOpenAI, fake_vector

pytestmark = pytest.mark.anyio

LOCAL_MISSING = local_module.missing_packages()
needs_local = pytest.mark.skipif(
    bool(LOCAL_MISSING),
    reason=f'embeddings extra not installed (missing {", ".join(LOCAL_MISSING)}): pip install -e ".[embeddings]"',
)


def test_none_is_no_provider():
    assert make_embedder("none") is None


@pytest.mark.parametrize("bad", ["", "Local", "bert", "openai "])
def test_unknown_provider_names_the_choices(bad):
    with pytest.raises(ValueError, match="none, local, openai"):
        make_embedder(bad)


def test_local_without_the_extra_says_how_to_install(monkeypatch):
    monkeypatch.setattr(local_module, "missing_packages", lambda: ["onnxruntime"])
    with pytest.raises(EmbeddingError) as info:
        make_embedder("local")
    assert "onnxruntime" in info.value.message
    assert 'pip install "mcp-server-cortex-memory[embeddings]"' in info.value.hint


def test_local_refuses_another_model_name():
    with pytest.raises(ValueError, match="all-MiniLM-L6-v2"):
        make_embedder("local", model="text-embedding-3-small")


def test_openai_url_must_be_http():
    with pytest.raises(ValueError, match="embeddings-url"):
        make_embedder("openai", url="localhost:11434")


# -- openai --------------------------------------------------------------------------------------


async def test_openai_embeds_in_order_and_learns_the_dimension():
    with FakeOpenAI() as server:
        embedder = make_embedder("openai", url=server.url, model="fake-model", api_key="test-key")
        assert isinstance(embedder, Embedder)
        assert embedder.name == "openai:fake-model" and embedder.dimension == 0
        try:
            vectors = await embedder.embed(["allergic to peanuts", "deploys on fridays"])
        finally:
            await embedder.aclose()
    assert vectors == [fake_vector("allergic to peanuts"), fake_vector("deploys on fridays")]
    assert embedder.dimension == DIMENSION


async def test_openai_batches_long_inputs():
    texts = [f"note number {i}" for i in range(BATCH * 2 + 5)]
    with FakeOpenAI() as server:
        embedder = OpenAIEmbedder(url=server.url + "/embeddings", model="m", api_key="test-key")  # full URL works too
        vectors = await embedder.embed(texts)
        await embedder.aclose()
    assert [len(b) for b in server.batches] == [BATCH, BATCH, 5]
    assert vectors[-1] == fake_vector(texts[-1]) and len(vectors) == len(texts)


async def test_openai_empty_input_sends_nothing():
    with FakeOpenAI() as server:
        embedder = OpenAIEmbedder(url=server.url, model="m", api_key="test-key")
        assert await embedder.embed([]) == []
        await embedder.aclose()
    assert server.batches == []


@pytest.mark.parametrize(
    ("model", "key", "url_suffix", "message", "hint"),
    [
        ("m", "wrong-key", "", "refused the key (401)", "OPENAI_API_KEY"),
        ("m", None, "", "refused the key (401)", "CORTEX_EMBEDDINGS_KEY"),
        ("broken", "test-key", "", "answered 500: model crashed", None),
        ("garbage", "test-key", "", "did not answer like an embeddings API", "/v1"),
        ("short", "test-key", "", "returned 1 vectors for 2 texts", None),
        ("m", "test-key", "/v2", "answered 404 (no route /v1/v2/embeddings)", "--embeddings-url"),
    ],
)
async def test_openai_failures_are_clear(model, key, url_suffix, message, hint):
    with FakeOpenAI() as server:
        embedder = OpenAIEmbedder(url=server.url + url_suffix, model=model, api_key=key)
        with pytest.raises(EmbeddingError) as info:
            await embedder.embed(["one", "two"])
        await embedder.aclose()
    assert info.value.code == "EMBEDDINGS_UNAVAILABLE"
    assert message in info.value.message
    if hint:
        assert hint in info.value.hint


async def test_openai_timeout_is_clear():
    with FakeOpenAI() as server:
        embedder = OpenAIEmbedder(url=server.url, model="hang", api_key="test-key", timeout=0.2)
        with pytest.raises(EmbeddingError, match="did not answer in time"):
            await embedder.embed(["anything"])
        await embedder.aclose()


async def test_openai_unreachable_is_clear():
    with FakeOpenAI() as server:
        url = server.url
    embedder = OpenAIEmbedder(url=url, model="m", api_key="test-key", timeout=2)
    with pytest.raises(EmbeddingError, match="could not reach"):
        await embedder.embed(["anything"])
    await embedder.aclose()


# -- local ---------------------------------------------------------------------------------------


def _cos(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True))


@needs_local
async def test_local_minilm_links_a_paraphrase():
    embedder = make_embedder("local")
    assert embedder.name == "local:all-MiniLM-L6-v2-int8" and embedder.dimension == 384
    query, match, other = await embedder.embed(
        ["food allergies", "I am allergic to peanuts", "We deploy the service on Fridays"]
    )
    assert len(query) == 384 and math.isclose(math.sqrt(_cos(query, query)), 1.0, rel_tol=1e-4)
    assert _cos(query, match) > 0.4 > _cos(query, other)


@needs_local
async def test_local_batches_keep_order_and_truncate_long_texts():
    embedder = make_embedder("local")
    texts = ["short", "a much longer sentence about the weather in Paris in spring " * 40, "short"]
    many = await embedder.embed(texts * 20)  # several batches, sorted by length inside
    alone = await embedder.embed([texts[1]])
    assert len(many) == 60
    assert many[0] == many[2] and _cos(many[1], alone[0]) > 0.999


@needs_local
def test_local_session_threads_do_not_spin():
    # Spinning pool threads took the cores the event loop needed next (recall latency doubled).
    embedder = make_embedder("local")
    embedder.embed_sync(["load the model"])
    options = embedder._session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert options.get_session_config_entry("session.inter_op.allow_spinning") == "0"
