#!/usr/bin/env bash
# Fetches the test photo for the end-to-end face detection test: scikit-image's
# astronaut.png (Eileen Collins, 512x512, NASA, public domain) from Debian's
# python3-skimage package. `apt-get download` checks the package against the signed
# archive index; the one file is then extracted (nothing is installed, no maintainer script
# runs) and checked against a pinned sha256. Prints the file's path on stdout:
#   $EDGERT_CACHE (default: <repo>/.cache)/testdata/astronaut.png
# Idempotent: once the file is there with the right hash it only re-checks the hash.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${EDGERT_CACHE:-$repo/.cache}
dir="$cache/testdata"
mkdir -p "$dir"

package=python3-skimage
version=0.19.3-8  # Debian 12; pinned so the member path and the hash below stay valid
member=./usr/lib/python3/dist-packages/skimage/data/astronaut.png
dest="$dir/astronaut.png"
sum=88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5  # also scikit-image's own registry entry

if [ -f "$dest" ] && echo "$sum  $dest" | sha256sum --check --status; then
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

dpkg-deb --fsys-tarfile "$deb" | tar -xO "$member" >"$dest.tmp"
if ! echo "$sum  $dest.tmp" | sha256sum --check --status; then
  rm -f "$dest.tmp"
  echo "fetch-testdata: sha256 mismatch for $member in $deb (expected $sum)" >&2
  exit 1
fi
mv "$dest.tmp" "$dest"
rm -f "$deb"  # 20 MB for one 0.8 MB file; a re-fetch takes a second
echo "$dest"
