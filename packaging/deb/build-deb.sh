#!/bin/sh
# Build a Debian package of Kith from a built binary.
#
#   sh packaging/deb/build-deb.sh PATH-TO-KITH-BINARY VERSION [OUTPUT-DIR]
#
# Writes OUTPUT-DIR/kith_VERSION_ARCH.deb (OUTPUT-DIR defaults to the current
# directory). ARCH is `dpkg --print-architecture` unless DEB_ARCH is set (for
# a cross-compiled binary). Needs dpkg-deb; does not need root.
set -eu

PROG=build-deb
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "Usage: $0 PATH-TO-KITH-BINARY VERSION [OUTPUT-DIR]" >&2
    exit 2
fi
BIN=$1
VERSION=${2#v}
OUTDIR=${3:-.}

DEB_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
PKG_DIR=$(dirname -- "$DEB_DIR")

if [ ! -f "$BIN" ] || [ ! -x "$BIN" ]; then
    die "'$BIN' is not an executable file"
fi
case $VERSION in
    [0-9]*) ;;
    *) die "version must start with a digit: '$VERSION'" ;;
esac
case $VERSION in
    *[!A-Za-z0-9.+~-]*) die "version may contain only A-Z a-z 0-9 . + ~ -: '$VERSION'" ;;
esac
[ -d "$OUTDIR" ] || die "output folder '$OUTDIR' does not exist"
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found"
ARCH=${DEB_ARCH:-$(dpkg --print-architecture)}
for f in control.in postinst prerm postrm copyright; do
    [ -f "$DEB_DIR/$f" ] || die "missing $DEB_DIR/$f"
done
[ -f "$PKG_DIR/kith.service" ] || die "missing $PKG_DIR/kith.service"

umask 022
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/kith-deb.XXXXXX")
trap 'rm -rf -- "$STAGE"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 0755 "$STAGE"

# Payload.
install -d "$STAGE/usr/bin" "$STAGE/lib/systemd/system" "$STAGE/usr/share/doc/kith"
install -m 0755 -- "$BIN" "$STAGE/usr/bin/kith"
install -m 0644 -- "$PKG_DIR/kith.service" "$STAGE/lib/systemd/system/kith.service"
install -m 0644 -- "$DEB_DIR/copyright" "$STAGE/usr/share/doc/kith/copyright"
if [ -f "$PKG_DIR/README.md" ]; then
    install -m 0644 -- "$PKG_DIR/README.md" "$STAGE/usr/share/doc/kith/README.md"
fi
INSTALLED_SIZE=$(du -sk "$STAGE" | cut -f1)

# Control area.
install -d "$STAGE/DEBIAN"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_SIZE@/$INSTALLED_SIZE/" \
    "$DEB_DIR/control.in" >"$STAGE/DEBIAN/control"
for f in postinst prerm postrm; do
    install -m 0755 -- "$DEB_DIR/$f" "$STAGE/DEBIAN/$f"
done
(cd "$STAGE" && find usr lib -type f -exec md5sum {} + | LC_ALL=C sort -k2) >"$STAGE/DEBIAN/md5sums"
chmod 0644 "$STAGE/DEBIAN/control" "$STAGE/DEBIAN/md5sums"

OUT=$OUTDIR/kith_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group --build "$STAGE" "$OUT"
echo "$PROG: built $OUT"
