#!/bin/sh
# Install or upgrade Kith from a built binary on a systemd machine.
#
#   sudo sh packaging/install.sh [--no-start] [PATH-TO-KITH-BINARY]
#
# PATH-TO-KITH-BINARY defaults to ./kith. Safe to re-run: on upgrade the
# service is stopped, the binary replaced and the service started again.
# Existing configuration (/etc/kith) and data (/var/lib/kith) are never
# modified or removed.
set -eu

PROG=kith-install
BIN_DEST=/usr/bin/kith
CONF_DIR=/etc/kith
CONF_FILE=$CONF_DIR/kith.toml
DATA_DIR=/var/lib/kith
UNIT_DEST=/etc/systemd/system/kith.service
USER_NAME=kith

say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
    cat <<EOF
Usage: $0 [--no-start] [PATH-TO-KITH-BINARY]

Installs (or upgrades) Kith as the systemd service "kith":
  binary  $BIN_DEST
  config  $CONF_FILE (created only if missing)
  data    $DATA_DIR (created only if missing; never modified)
  unit    $UNIT_DEST

Options:
  --no-start   install and enable the service, but do not start it now
  -h, --help   show this help
EOF
}

# --- Arguments ---------------------------------------------------------------
START=yes
BIN=
while [ $# -gt 0 ]; do
    case $1 in
        --no-start) START=no ;;
        -h|--help) usage; exit 0 ;;
        --) shift; [ $# -gt 0 ] && BIN=$1; break ;;
        -*) usage >&2; die "unknown option: $1" ;;
        *) [ -z "$BIN" ] || die "only one binary path may be given"
           BIN=$1 ;;
    esac
    shift
done
BIN=${BIN:-./kith}
# A bare name such as "kith" would be looked up in $PATH when run.
case $BIN in
    */*) ;;
    *) BIN=./$BIN ;;
esac

SCRIPT_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
UNIT_SRC=$SCRIPT_DIR/kith.service

# --- Preconditions -----------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "must be run as root (use sudo)"
[ -f "$BIN" ] || die "kith binary not found at '$BIN' (pass its path as the first argument)"
[ -x "$BIN" ] || die "'$BIN' is not executable (chmod +x it first)"
[ -f "$UNIT_SRC" ] || die "systemd unit not found at '$UNIT_SRC' (run this script from the Kith source tree)"
command -v systemctl >/dev/null 2>&1 || die "systemctl not found: Kith's installer needs systemd"
command -v useradd >/dev/null 2>&1 || die "useradd not found"
if command -v dpkg-query >/dev/null 2>&1 &&
   [ "$(dpkg-query -W -f='${Status}' kith 2>/dev/null || true)" = "install ok installed" ]; then
    die "Kith is installed as a Debian package here; upgrade it with the .deb (apt install ./kith_VERSION.deb) instead"
fi

# systemd may be installed but not running (chroot, image build, container).
if [ -d /run/systemd/system ]; then
    SYSTEMD_RUNNING=yes
else
    SYSTEMD_RUNNING=no
    warn "systemd is not running here: the service will be enabled but not (re)started"
fi

TMP_CONF=
cleanup() { if [ -n "$TMP_CONF" ]; then rm -f -- "$TMP_CONF"; fi; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- System user and group ---------------------------------------------------
if getent group "$USER_NAME" >/dev/null; then
    say "group '$USER_NAME' exists"
else
    say "creating system group '$USER_NAME'"
    groupadd --system "$USER_NAME"
fi
if getent passwd "$USER_NAME" >/dev/null; then
    say "user '$USER_NAME' exists"
else
    NOLOGIN=/usr/sbin/nologin
    [ -x "$NOLOGIN" ] || NOLOGIN=/sbin/nologin
    [ -x "$NOLOGIN" ] || NOLOGIN=/bin/false
    say "creating system user '$USER_NAME' (home $DATA_DIR, shell $NOLOGIN)"
    useradd --system --gid "$USER_NAME" --home-dir "$DATA_DIR" --no-create-home \
        --shell "$NOLOGIN" --comment "Kith CRM" "$USER_NAME"
fi

# --- Configuration -----------------------------------------------------------
if [ -d "$CONF_DIR" ]; then
    say "$CONF_DIR exists (left as is)"
else
    say "creating $CONF_DIR (0750 root:$USER_NAME)"
    install -d -m 0750 -o root -g "$USER_NAME" "$CONF_DIR"
fi
if [ -e "$CONF_FILE" ]; then
    say "$CONF_FILE exists (left as is)"
else
    say "creating $CONF_FILE from 'kith config default'"
    TMP_CONF=$(mktemp "$CONF_DIR/.kith.toml.XXXXXX")
    "$BIN" config default >"$TMP_CONF" || die "'$BIN config default' failed"
    [ -s "$TMP_CONF" ] || die "'$BIN config default' printed nothing"
    chown "root:$USER_NAME" "$TMP_CONF"
    chmod 0640 "$TMP_CONF"
    mv -f -- "$TMP_CONF" "$CONF_FILE"
    TMP_CONF=
fi

# --- Data folder -------------------------------------------------------------
if [ -d "$DATA_DIR" ]; then
    FRESH=no
    say "$DATA_DIR exists (data left untouched)"
else
    FRESH=yes
    say "creating $DATA_DIR (0750 $USER_NAME:$USER_NAME)"
    install -d -m 0750 -o "$USER_NAME" -g "$USER_NAME" "$DATA_DIR"
fi

# Validate the configuration with the new binary before stopping anything, so
# a bad config does not take a running service down.
say "checking $CONF_FILE"
"$BIN" config check --config "$CONF_FILE" ||
    die "configuration check failed: fix $CONF_FILE and re-run; nothing was stopped or replaced"

# --- Stop, replace, start ----------------------------------------------------
if [ "$SYSTEMD_RUNNING" = yes ] && systemctl is-active --quiet kith; then
    say "stopping the running kith service"
    systemctl stop kith
fi

if [ -f "$BIN_DEST" ] && cmp -s -- "$BIN" "$BIN_DEST"; then
    say "$BIN_DEST is already this binary"
else
    say "installing $BIN -> $BIN_DEST"
    install -m 0755 -o root -g root -- "$BIN" "$BIN_DEST"
fi

say "installing systemd unit -> $UNIT_DEST"
install -m 0644 -o root -g root -- "$UNIT_SRC" "$UNIT_DEST"

if [ "$SYSTEMD_RUNNING" = yes ]; then
    systemctl daemon-reload
fi
if [ "$START" = yes ] && [ "$SYSTEMD_RUNNING" = yes ]; then
    say "enabling and starting kith"
    systemctl enable --now kith
    # Type=simple counts as started at once; give a bad start time to show.
    sleep 2
    if ! systemctl is-active --quiet kith; then
        die "kith did not start; see: journalctl -u kith -n 50"
    fi
else
    say "enabling kith (starts at boot; not started now)"
    systemctl enable kith
fi

# --- Done --------------------------------------------------------------------
cat <<EOF

Kith is installed.
  binary   $BIN_DEST
  config   $CONF_FILE
  data     $DATA_DIR (database, backups/)
  service  systemctl status kith

EOF
if [ "$START" = yes ] && [ "$SYSTEMD_RUNNING" = yes ]; then
    if [ "$FRESH" = yes ]; then
        echo "On first start Kith logs a one-time setup link. To see it:"
    else
        echo "Kith was restarted (it migrates its database itself). Its log:"
    fi
    echo "  journalctl -u kith -n 50"
else
    cat <<EOF
Start it with:     systemctl start kith
then find the one-time setup link with:
  journalctl -u kith -n 50
EOF
fi
cat <<EOF
Kith listens on 127.0.0.1:8080 by default; to change that, set
  [server]
  listen = "0.0.0.0:8080"
in $CONF_FILE and run: systemctl restart kith
EOF
