#!/usr/bin/env bash
# Assembles, without any container registry, a stand-in for the official Python image that
# model/Dockerfile starts FROM: a minimal Debian from the apt mirror this machine already uses,
# with Debian's own python3 and python3-sklearn, imported into Docker and tagged with the very
# name the Dockerfile (and docker compose) asks for, so they build unchanged.
#
#   scripts/model-build-base.sh <name the Dockerfile uses> <descriptive tag>
#
# Called by scripts/model-build.sh when the official image cannot be pulled. Needs root
# (debootstrap and chroot) and takes a couple of minutes; the result is reused afterwards.
# DEBIAN_MIRROR overrides the mirror; DEBIAN_SUITE the release (default bookworm, which ships
# Python 3.11 like the official image, scikit-learn 1.2.1 and numpy 1.24.2 as pinned).
set -euo pipefail

FROM_NAME=${1:?usage: model-build-base.sh <image name> <descriptive tag>}
LOCAL_TAG=${2:?usage: model-build-base.sh <image name> <descriptive tag>}
SUITE=${DEBIAN_SUITE:-bookworm}
# What train.py imports, with their dependencies (numpy, scipy, joblib, ...), and OpenBLAS as
# the BLAS, as in the numpy wheels pip installs on the official image.
PACKAGES=(python3 python3-sklearn libopenblas0-pthread)

say() { echo "model:build: $*"; }
die() { echo "model:build: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "assembling the offline base needs root (debootstrap, chroot): run 'sudo npm run model:build'"
command -v debootstrap >/dev/null || die "debootstrap is not installed: apt-get install debootstrap"

# The machine's own apt sources, whatever their format (sources.list or deb822 .sources).
MIRROR=${DEBIAN_MIRROR:-$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' "Release: $SUITE" 2>/dev/null | head -n1 || true)}
[ -n "$MIRROR" ] || die "this machine's apt configuration has no source for Debian $SUITE; set DEBIAN_MIRROR (e.g. http://deb.debian.org/debian)"

ROOTFS=$(mktemp -d /var/tmp/modelrun-base.XXXXXX)
cleanup() {
  if mountpoint -q "$ROOTFS/proc"; then umount "$ROOTFS/proc"; fi
  rm -rf --one-file-system "$ROOTFS"
}
trap cleanup EXIT

say "debootstrap $SUITE from $MIRROR with ${PACKAGES[*]} (about two minutes)"
# --include resolves Depends, not virtual packages or Recommends; apt in the chroot does the rest
# properly, so debootstrap only lays down the minimal system.
debootstrap --variant=minbase --include=python3 "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 \
  || { tail -n 20 "$ROOTFS.log" >&2; die "debootstrap failed (full log: $ROOTFS.log)"; }
rm -f "$ROOTFS.log"
mount -t proc proc "$ROOTFS/proc"
in_root() { chroot "$ROOTFS" env DEBIAN_FRONTEND=noninteractive "$@" >>"$ROOTFS.log" 2>&1 \
  || { tail -n 20 "$ROOTFS.log" >&2; die "in the new root, '$*' failed (full log: $ROOTFS.log)"; }; }
# Debian's python3-scipy depends on python3-pythran, the compiler scipy was built with, which
# brings g++, Boost and the Python headers (about 500 MB) that nothing uses at run time. A held,
# empty package stands in for it, so apt skips all that and its database stays consistent.
mkdir -p "$ROOTFS/tmp/pythran-stub/DEBIAN"
printf '%s\n' 'Package: python3-pythran' 'Version: 0~modelrun.stub' 'Architecture: all' \
  'Maintainer: modelrun <modelrun@localhost>' \
  'Description: empty stand-in: scipy needs pythran to be built, not to run' >"$ROOTFS/tmp/pythran-stub/DEBIAN/control"
in_root dpkg-deb --build /tmp/pythran-stub /tmp/pythran-stub.deb
in_root dpkg -i /tmp/pythran-stub.deb
in_root apt-mark hold python3-pythran
in_root apt-get -o APT::Sandbox::User=root install -y -q --no-install-recommends "${PACKAGES[@]}"
in_root apt-get clean
rm -rf "$ROOTFS/tmp/pythran-stub" "$ROOTFS/tmp/pythran-stub.deb" "$ROOTFS.log"
umount "$ROOTFS/proc"

# Upstream versions for the labels: no epoch ("1:"), no Debian revision.
version() { chroot "$ROOTFS" dpkg-query -W -f '${Version}' "$1" | sed 's/^[0-9]*://; s/[+~-].*//'; }
PY=$(chroot "$ROOTFS" python3 -c 'import platform; print(platform.python_version())')
SKLEARN=$(version python3-sklearn)
NUMPY=$(version python3-numpy)

# Like the slim image: no docs, man pages, apt lists or logs. The image keeps dpkg and apt.
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/log/* \
  "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/*

say "importing as $LOCAL_TAG (Python $PY, scikit-learn $SKLEARN, numpy $NUMPY)"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  --change "LABEL io.modelrun.base.source=\"debootstrap\" io.modelrun.base.stands-in-for=\"$FROM_NAME\" io.modelrun.base.suite=\"$SUITE\" io.modelrun.base.mirror=\"$MIRROR\" io.modelrun.base.python=\"$PY\" io.modelrun.base.scikit-learn=\"$SKLEARN\" io.modelrun.base.numpy=\"$NUMPY\"" \
  --message "Debian $SUITE + python3-sklearn, assembled offline as a stand-in for $FROM_NAME" \
  - "$LOCAL_TAG" >/dev/null
docker tag "$LOCAL_TAG" "$FROM_NAME"
say "offline base ready: $LOCAL_TAG, also tagged $FROM_NAME"
