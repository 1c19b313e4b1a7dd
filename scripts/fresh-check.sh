#!/usr/bin/env bash
# Runs the README's commands as a newcomer would: in a pristine Debian 12 root (debootstrap
# minbase), on a fresh clone of the commit under test, with a clean environment. A package that only
# a developer machine happens to have can no longer make the commands pass.
#
#   scripts/fresh-check.sh [--demo] [--test] [--run CMD] [--keep] [--refresh]
#
#   --demo     run scripts/demo.sh inside the root (the main job)
#   --test     run scripts/test.sh inside the root (the test suite)
#   --run CMD  run CMD (bash) in the checkout inside the root, after the above
#              (none of the three: --demo and --test, demo first)
#   --keep     leave the root in place afterwards (its path is printed); default: remove it
#   --refresh  rebuild the cached base root even if it is recent
#
# The base root is made once with debootstrap and cached as a tarball (HRM_FRESH_CACHE, default
# /var/cache/hrm-sdk), refreshed after 30 days; each run unpacks a new copy of it under
# HRM_FRESH_DIR (default /tmp), so every run starts from the same pristine state. Needs root (or
# sudo) for debootstrap, chroot and the /proc /sys /dev mounts, which are undone on every exit.
# Exit status: that of the failing command inside the root; 3 when the root cannot be made.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
suite=bookworm
mirror=${HRM_FRESH_MIRROR:-http://deb.debian.org/debian}
cache_dir=${HRM_FRESH_CACHE:-/var/cache/hrm-sdk}
work_parent=${HRM_FRESH_DIR:-/tmp}
max_age_days=30

args=("$@")
run_demo=0 run_test=0 keep=0 refresh=0 command=""
while (($#)); do
  arg=$1
  shift
  case "$arg" in
    --run)
      (($#)) || { echo "fresh-check: --run needs a command" >&2; exit 2; }
      command=$1
      shift
      ;;
    --demo) run_demo=1 ;;
    --test) run_test=1 ;;
    --keep) keep=1 ;;
    --refresh) refresh=1 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh-check: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
((run_demo || run_test)) || [ -n "$command" ] || run_demo=1 run_test=1

cannot() { echo "fresh-check: cannot make the fresh root: $*" >&2; exit 3; }
say() { printf '\n== fresh-check: %s ==\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo > /dev/null || cannot "needs root (or sudo) for debootstrap and chroot"
  exec sudo --preserve-env=CI,HRM_FRESH_CACHE,HRM_FRESH_DIR,HRM_FRESH_MIRROR "$0" "${args[@]}"
fi

# The host side needs debootstrap (to make the base root) and git (to clone the commit).
host_missing=()
command -v debootstrap > /dev/null || host_missing+=(debootstrap)
command -v git > /dev/null || host_missing+=(git)
if ((${#host_missing[@]})); then
  echo "fresh-check: installing on the host: ${host_missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${host_missing[@]}" > /dev/null || cannot "could not install ${host_missing[*]} on the host"
fi

sha=$(git -C "$repo" rev-parse HEAD) || cannot "$repo is not a git checkout"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "fresh-check: note: uncommitted changes are not tested; the root gets commit $sha"
fi

# --- The cached base root -------------------------------------------------------------------
arch=$(dpkg --print-architecture)
tarball="$cache_dir/debian-$suite-minbase-$arch.tar"
mkdir -p "$cache_dir" || cannot "cannot create the cache folder $cache_dir"
if ((refresh)) || [ ! -s "$tarball" ] || [ -n "$(find "$tarball" -mtime +$max_age_days)" ]; then
  say "making the base root ($suite minbase, $arch) from $mirror"
  base=$(mktemp -d "$work_parent/hrm-base.XXXXXX")
  if ! debootstrap --variant=minbase --arch="$arch" "$suite" "$base" "$mirror" > "$base.log" 2>&1; then
    tail -20 "$base.log" >&2
    rm -rf --one-file-system "$base" "$base.log"
    cannot "debootstrap failed (log above)"
  fi
  tar --numeric-owner -C "$base" -cpf "$tarball.part" . && mv "$tarball.part" "$tarball"
  rm -rf --one-file-system "$base" "$base.log"
fi

# --- A fresh copy of it, with the commit under test -----------------------------------------
root=$(mktemp -d "$work_parent/hrm-fresh.XXXXXX")
mounts=()
# Every process whose root is the fresh root (the command inside and whatever it started).
inside_pids() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2> /dev/null)" = "$root" ] && echo "${p#/proc/}"
  done
  return 0
}
cleanup() {
  local status=$?
  local m pids
  trap '' INT TERM  # a second signal must not cut the cleanup short
  set +e            # nor a failing step: every mount is undone whatever happens
  # An interrupted run stops what runs inside first: nothing may hold the mounts or keep working.
  pids=$(inside_pids)
  if [ -n "$pids" ]; then
    kill -TERM $pids 2> /dev/null || true
    sleep 2
    pids=$(inside_pids)
    [ -z "$pids" ] || kill -KILL $pids 2> /dev/null || true
  fi
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    m=${mounts[i]}
    mountpoint -q "$m" && { umount -R "$m" 2> /dev/null || umount -R -l "$m"; }
  done
  # Never delete through a mount that is still there (it would reach into the host's /dev).
  if findmnt -rn -o TARGET | grep -q "^$root/"; then
    echo "fresh-check: mounts under $root remain; not removing it" >&2
  elif ((keep)); then
    echo "fresh-check: the root stays at $root"
  else
    rm -rf --one-file-system "$root"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "unpacking a fresh root at $root"
tar --numeric-owner -C "$root" -xpf "$tarball" || cannot "cannot unpack $tarball"
# What a Debian 12 install has: the main suite with its updates and security updates.
cat > "$root/etc/apt/sources.list" << EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
EOF
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# The network's own trust, as a new machine on this network would be set up: certificate
# authorities the host added locally (a TLS-inspecting egress proxy, a company CA). They join the
# root's bundle when install-deps installs ca-certificates. This is network configuration, like
# resolv.conf, not a package: it cannot hide a missing install step.
if compgen -G "/usr/local/share/ca-certificates/*.crt" > /dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp -L /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi

# /sys and /dev recursively (with /dev/pts and /dev/shm), as slaves so nothing propagates back.
mount -t proc proc "$root/proc" && mounts+=("$root/proc")
for m in sys dev; do
  mount --rbind "/$m" "$root/$m" && mount --make-rslave "$root/$m" && mounts+=("$root/$m")
done

say "cloning $sha into the root"
git clone --quiet --no-local "$repo" "$root/root/hrm-sdk"
git -C "$root/root/hrm-sdk" checkout --quiet --detach "$sha"

# Node.js trusts only its built-in authorities unless told; with local CAs it is pointed at the
# system bundle (which exists once ca-certificates is installed, before npm runs).
trust_env=()
compgen -G "$root/usr/local/share/ca-certificates/*.crt" > /dev/null &&
  trust_env=(NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)

# A clean environment: nothing of the host's shell (compiler launchers, library paths, proxies)
# leaks in. CI is passed through so scripts can tell they run under CI.
inside() {
  say "inside the root: $*"
  # In the background and waited for: bash runs the INT/TERM traps (and so the cleanup) at once
  # during a wait, but only after a foreground command ends.
  chroot "$root" /usr/bin/env -i HOME=/root USER=root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
    CI="${CI:-}" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ${trust_env[@]+"${trust_env[@]}"} \
    /bin/bash -c "cd /root/hrm-sdk && $*" &
  wait $!
}

inside 'echo "Debian $(cat /etc/debian_version), $(dpkg-query -f . -W | wc -c) packages installed, $(nproc) CPUs"'
start=$SECONDS
ran=()
if ((run_demo)); then
  inside scripts/demo.sh
  ran+=(scripts/demo.sh)
  echo "fresh-check: scripts/demo.sh passed after $((SECONDS - start)) s"
fi
if ((run_test)); then
  inside scripts/test.sh
  ran+=(scripts/test.sh)
  echo "fresh-check: scripts/test.sh passed after $((SECONDS - start)) s"
fi
if [ -n "$command" ]; then
  inside "$command"
  ran+=("'$command'")
fi
say "passed: ${ran[*]} in a fresh Debian $suite root ($((SECONDS - start)) s)"
