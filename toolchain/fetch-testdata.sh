#!/usr/bin/env bash
# Fetches the test photos: scikit-image's astronaut.png (Eileen Collins, 512x512, NASA,
# public domain; the face detection tests) and coffee.png (a cup of coffee, 600x400,
# public domain; a photo without text for the OCR tests) from Debian's python3-skimage
# package. `apt-get download` checks the package against the signed
# archive index; the one file is then extracted (nothing is installed, no maintainer script
# runs) and checked against a pinned sha256. Prints the astronaut's path on stdout; the
# coffee photo is beside it:
#   $EDGERT_CACHE (default: <repo>/.cache)/testdata/astronaut.png, coffee.png
# Idempotent: once the files are there with the right hashes it only re-checks them.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${EDGERT_CACHE:-$repo/.cache}
dir="$cache/testdata"
mkdir -p "$dir"

package=python3-skimage
version=0.19.3-8  # Debian 12; pinned so the member path and the hash below stay valid
members=(
  # file       sha256 (also scikit-image's own registry entries)
  "astronaut.png 88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"
  "coffee.png cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"
)
dest="$dir/astronaut.png"

have_all() {
  local entry name sum
  for entry in "${members[@]}"; do
    read -r name sum <<<"$entry"
    echo "$sum  $dir/$name" | sha256sum --check --status 2>/dev/null || return 1
  done
}
if have_all; then
  echo "$dest"
  exit 0
fi

deb="$dir/${package}_${version}_all.deb"
if [ ! -f "$deb" ]; then
  echo "fetch-testdata: apt-get download $package=$version" >&2
  # Into a scratch folder first, so an interrupted download never sits in the cache. (As
  # root apt warns that it downloads unsandboxed; its hash check against the signed index
  # happens either way.)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if ! (cd "$tmp" && apt-get download -q "$package=$version" >&2); then
    echo "fetch-testdata: apt-get download $package=$version failed (no network, no package" \
         "lists - run 'apt-get update' - or the version left the archive)" >&2
    exit 1
  fi
  mv "$tmp/${package}_${version}_all.deb" "$deb"
fi

for entry in "${members[@]}"; do
  read -r name sum <<<"$entry"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/lib/python3/dist-packages/skimage/data/$name" >"$dir/$name.tmp"
  if ! echo "$sum  $dir/$name.tmp" | sha256sum --check --status; then
    rm -f "$dir/$name.tmp"
    echo "fetch-testdata: sha256 mismatch for $name in $deb (expected $sum)" >&2
    exit 1
  fi
  mv "$dir/$name.tmp" "$dir/$name"
done
rm -f "$deb"  # 20 MB for two small files; a re-fetch takes a second
echo "$dest"
