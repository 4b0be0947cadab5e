"""Password-protected outputs, for cases whose data should not leave the laptop in plain text.

An encrypted case seals its data at rest, but a report, map or export made
from it is a new copy of that data. ``--encrypt`` (and the workstation's
"Encrypt the PDF" box) writes those copies protected by a password of their own:

- the PDF with the PDF standard's own AES-256 encryption (revision 6), which
  every current PDF reader opens after asking for the password. It is applied
  by pypdf (its AES comes from ``cryptography``) to the finished PDF. reportlab
  can encrypt as it writes, but its AES-256 runs in pure Python (pyaes): 35 s
  for a 1.8 MB page on the reference machine, against 0.04 s here; its fast
  mode is RC4, a broken cipher;
- a CSV, XLSX or map page as the only member of a zip encrypted with WinZip's
  AES-256 (pyzipper), which 7-Zip, WinZip and the file managers of current
  systems open. The plaintext is streamed into the zip and never reaches the disk.

Either way the output carries the mark of a Cellsight output (``outputs``): a
header comment in the PDF (its metadata is encrypted with the rest), the zip's
comment, both readable without the password.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from cellsight.core.outputs import PDF_MARK, output_zip_comment

PDF_HEADER = "%PDF-1.7"  # AES-256 (revision 6) belongs to PDF 1.7 extension level 8 and PDF 2.0


def zipped(out: str | Path) -> Path:
    """The file an encrypted export or map is written to: ``FILE.csv`` becomes ``FILE.csv.zip``."""
    path = Path(out)
    return path if path.suffix.lower() == ".zip" else path.with_name(path.name + ".zip")


def inner_name(target: Path) -> str:
    """The name of the file inside the encrypted zip ``target`` (``FILE.csv.zip`` holds ``FILE.csv``)."""
    return target.name[: -len(".zip")] if target.name.lower().endswith(".zip") else target.name


def encrypt_pdf(path: Path, password: str) -> None:
    """Encrypt the finished PDF at ``path`` in place with AES-256, keeping pages, outline and metadata."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(path.read_bytes()))
    writer = PdfWriter(clone_from=reader)
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-256")
    writer.pdf_header = f"{PDF_HEADER}\n{PDF_MARK.decode()}"
    with open(path, "wb") as out:  # the same file: the temporary stays held by its writer
        writer.write(out)


@contextmanager
def encrypted_member(path: Path, name: str, password: str, kind: str) -> Iterator[IO[bytes]]:
    """A binary stream whose bytes become ``name`` inside an AES-256 zip at ``path``."""
    import pyzipper

    with pyzipper.AESZipFile(path, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(password.encode("utf-8"))
        zf.comment = output_zip_comment(kind)
        with zf.open(name, "w", force_zip64=True) as stream:
            yield stream
