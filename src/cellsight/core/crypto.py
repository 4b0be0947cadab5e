"""Encryption at rest for a case file: AES-256-GCM with a key from scrypt.

A laptop holding a stalking case gets lost; an encrypted case is useless to the
finder. The whole case file (the zip) is sealed at once:

``MAGIC`` + 4-byte header length + JSON header (KDF name and parameters, salt,
nonce) + ciphertext with its GCM tag. The header is authenticated as associated
data, so tampering with the KDF parameters is detected like tampering with the
data. GCM either returns the exact plaintext or fails: a wrong password or a
damaged file can never yield a partial read.

scrypt (memory-hard: about 64 MiB per attempt with these parameters) slows
guessing on GPUs; the key derived once is kept in memory so that every save
reuses it with a fresh random nonce rather than re-deriving.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"CELLSIGHT-ENCRYPTED-CASE\x00v1"
KDF_PARAMS = {"n": 2**16, "r": 8, "p": 1}
_MAX_HEADER = 4096


class DecryptionError(ValueError):
    """Wrong password, or an encrypted case that was damaged."""


@dataclass(frozen=True)
class CaseKey:
    """A derived key with the salt and parameters that made it (the password is not kept)."""

    key: bytes
    salt: bytes
    params: dict[str, int]


def derive(password: str, salt: bytes | None = None, params: dict[str, int] | None = None) -> CaseKey:
    """Derive a 256-bit key from ``password`` (a new random salt unless one is given)."""
    if not password:
        raise ValueError("an encrypted case needs a password")
    salt = salt or os.urandom(16)
    params = dict(params or KDF_PARAMS)
    kdf = Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"])
    return CaseKey(kdf.derive(password.encode("utf-8")), salt, params)


def is_sealed(head: bytes) -> bool:
    """True when a file's first bytes are those of an encrypted case."""
    return head.startswith(MAGIC)


def seal(data: bytes, key: CaseKey) -> bytes:
    """Encrypt and authenticate ``data`` under ``key`` with a fresh nonce."""
    nonce = os.urandom(12)
    header = json.dumps({"kdf": "scrypt", "params": key.params,
                         "salt": base64.b64encode(key.salt).decode(),
                         "nonce": base64.b64encode(nonce).decode(), "cipher": "AES-256-GCM"},
                        sort_keys=True).encode()
    prefix = MAGIC + struct.pack(">I", len(header)) + header
    return prefix + AESGCM(key.key).encrypt(nonce, data, prefix)


def unseal(blob: bytes, password: str | None = None, key: CaseKey | None = None) -> tuple[bytes, CaseKey]:
    """Decrypt a sealed case with its password, or with a key already derived from it.

    Returns the plaintext and the key for later saves. A ``key`` is used only if
    it was derived with the salt and parameters this file names (the recovery
    copy of an open case is sealed with the case's own key).
    """
    if not is_sealed(blob):
        raise DecryptionError("not an encrypted case")
    offset = len(MAGIC)
    try:
        (length,) = struct.unpack(">I", blob[offset: offset + 4])
        if length > _MAX_HEADER:
            raise ValueError("header too long")
        prefix = blob[: offset + 4 + length]
        header = json.loads(prefix[offset + 4:])
        params = {k: int(header["params"][k]) for k in ("n", "r", "p")}
        if params["n"] > 2**20 or params["r"] > 32 or params["p"] > 16:
            raise ValueError("key derivation parameters out of range")
        salt = base64.b64decode(header["salt"])
        nonce = base64.b64decode(header["nonce"])
    except (ValueError, KeyError, TypeError, struct.error) as exc:
        raise DecryptionError(f"damaged encrypted case ({exc})") from exc
    if key is None or key.salt != salt or key.params != params:
        if password is None:
            raise DecryptionError("the encrypted case needs its password")
        key = derive(password, salt, params)
    try:
        data = AESGCM(key.key).decrypt(nonce, blob[len(prefix):], prefix)
    except InvalidTag as exc:
        raise DecryptionError("wrong password, or the encrypted case is damaged") from exc
    return data, key
