#!/usr/bin/env bash
# A one-node Slurm cluster on this machine (Debian slurm-wlm + munge), for tests, CI and the sweep
# benchmark. Needs root; no systemd (daemons are started directly, cgroup plugins off).
#   bash scripts/slurm-local.sh [start]   install if missing, configure, start; idempotent
#   bash scripts/slurm-local.sh stop      stop slurmd, slurmctld and munged (by their pid files)
#   bash scripts/slurm-local.sh status    print sinfo
# State, spool and logs live under $EMOFUSE_SLURM_DIR (default /var/tmp/emofuse-slurm).
# No accounting storage: sacct is unavailable; job state comes from squeue / scontrol.
set -euo pipefail
D="${EMOFUSE_SLURM_DIR:-/var/tmp/emofuse-slurm}"
CONF=/etc/slurm/slurm.conf
cmd="${1:-start}"

say() { echo "slurm-local: $*" >&2; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop() {
  for pf in "$D/slurmd.pid" "$D/slurmctld.pid" /run/munge/munged.pid; do
    if alive "$pf"; then
      pid="$(cat "$pf")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      say "stopped $(basename "$pf" .pid) ($pid)"
    fi
  done
}

install() {
  if command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v munged >/dev/null; then return; fi
  if [ "$(id -u)" != 0 ]; then say "slurm-wlm and munge are not installed and this is not root"; exit 1; fi
  say "installing slurm-wlm and munge (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y slurm-wlm munge >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y slurm-wlm munge >/dev/null; }
}

start_munge() {
  if alive /run/munge/munged.pid; then return; fi
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
  su -s /bin/sh munge -c /usr/sbin/munged
}

write_conf() {
  local h cpus mem want
  h="$(hostname -s)"
  cpus="$(nproc)"
  # A little under the machine's memory, so slurmd accepts the node.
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
  mkdir -p "$D/state" "$D/spool" "$D/log" /etc/slurm
  want="# written by emofuse scripts/slurm-local.sh
ClusterName=local
SlurmctldHost=$h
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
MinJobAge=3600
NodeName=$h CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$h Default=YES MaxTime=INFINITE State=UP"
  if [ -f "$CONF" ] && ! grep -q 'emofuse scripts/slurm-local.sh' "$CONF"; then
    say "$CONF exists and was not written by this script; leaving it alone"
    return
  fi
  if [ "$(cat "$CONF" 2>/dev/null)" != "$want" ]; then
    echo "$want" > "$CONF"
    # A changed config needs restarted daemons.
    stop_slurm
  fi
}

stop_slurm() {
  for pf in "$D/slurmd.pid" "$D/slurmctld.pid"; do
    if alive "$pf"; then kill "$(cat "$pf")" 2>/dev/null || true; sleep 1; fi
  done
}

start() {
  install
  start_munge
  write_conf
  alive "$D/slurmctld.pid" || /usr/sbin/slurmctld
  alive "$D/slurmd.pid" || /usr/sbin/slurmd
  for _ in $(seq 60); do
    state="$(sinfo -h -o '%T' 2>/dev/null | head -1 || true)"
    case "$state" in
      idle*|mixed*|alloc*|allocated*) say "cluster up: node $(hostname -s) $state"; return 0 ;;
      down*|drain*) scontrol update nodename="$(hostname -s)" state=resume 2>/dev/null || true ;;
    esac
    sleep 0.5
  done
  say "the node did not come up; see $D/log/slurmctld.log and $D/log/slurmd.log"
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) sinfo ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
