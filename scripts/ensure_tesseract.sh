#!/usr/bin/env bash
# Makes sure Debian's Tesseract OCR and its English, German and Bulgarian data are installed (the scan path
# of `erpai ingest` and its tests). Installs them with apt-get when missing, like pg_test_cluster.sh.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
have_langs() { tesseract --list-langs 2>/dev/null | grep -qx deu && tesseract --list-langs 2>/dev/null | grep -qx bul; }
if ! command -v tesseract >/dev/null 2>&1 || ! have_langs; then
  echo "installing tesseract-ocr (apt-get)…" >&2
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq tesseract-ocr tesseract-ocr-eng \
    tesseract-ocr-deu tesseract-ocr-bul >&2
fi
