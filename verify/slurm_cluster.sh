# A throw-away single-node Slurm cluster for tests, sourced by verify/slurm_sweep.sh. slurm_cluster_start DIR makes,
# under DIR: a munge key and munged (its own socket, pid, log and seed files), a slurm.conf for this host alone
# (127.0.0.1, free ports, all its CPUs, select/cons_tres with CR_CPU, proctrack/pgid, no cgroups, no accounting,
# state and spool directories in DIR, SlurmUser=root), then slurmctld and slurmd, and waits until sinfo shows the
# node idle; it exports SLURM_CONF so that sbatch, squeue and scancel talk to this cluster. It prints one line
# saying why and returns 1 when something is missing or a daemon does not come up. slurm_cluster_stop cancels the
# cluster's jobs, then stops the daemons it started (by their pid files) and waits for them to exit.
# Needs Debian's slurm-wlm and munge, and root (slurmd starts jobs as their users).

slurm_cluster_why=""

slurm_cluster_start() {
  local d=$1 p
  for p in munged slurmctld slurmd sbatch squeue scancel sinfo; do
    command -v "$p" >/dev/null || PATH=$PATH:/usr/sbin command -v "$p" >/dev/null ||
      { slurm_cluster_why="$p not found (Debian packages slurm-wlm and munge)"; return 1; }
  done
  export PATH=$PATH:/usr/sbin
  [ "$(id -u)" = 0 ] || { slurm_cluster_why="not root: slurmd must run as root"; return 1; }
  mkdir -p "$d/munge" "$d/state" "$d/spool" && chmod 700 "$d/munge"
  head -c 1024 /dev/urandom >"$d/munge/munge.key" && chmod 400 "$d/munge/munge.key"
  munged --force --key-file="$d/munge/munge.key" --socket="$d/munge/socket" --pid-file="$d/munge/munged.pid" \
    --log-file="$d/munge/munged.log" --seed-file="$d/munge/seed" 2>"$d/munge/start.err" ||
    { slurm_cluster_why="munged did not start: $(tail -n 1 "$d/munge/start.err")"; return 1; }
  local ports host
  ports=$(python3 -c "
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(('127.0.0.1', 0))
print(*[x.getsockname()[1] for x in s])")
  host=$(hostname -s)
  set -- $ports
  cat >"$d/slurm.conf" <<CONF
ClusterName=menagerie-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$1
SlurmdPort=$2
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/socket
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerParameters=sched_interval=1
KillWait=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$d/slurm.conf
  slurmctld -f "$SLURM_CONF" 2>"$d/slurmctld.err" ||
    { slurm_cluster_why="slurmctld did not start: $(tail -n 1 "$d/slurmctld.err")"; return 1; }
  slurmd -f "$SLURM_CONF" 2>"$d/slurmd.err" ||
    { slurm_cluster_why="slurmd did not start: $(tail -n 1 "$d/slurmd.err")"; return 1; }
  local i
  for i in $(seq 60); do
    [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && return 0
    sleep 0.5
  done
  slurm_cluster_why="the node did not become idle in 30 s (sinfo: $(sinfo -h -o %T 2>&1 | head -n 1); \
slurmd.log: $(tail -n 1 "$d/slurmd.log" 2>/dev/null))"
  return 1
}

slurm_cluster_stop() {
  local d=$1 f p i
  if [ -s "$d/slurmctld.pid" ] && kill -0 "$(cat "$d/slurmctld.pid")" 2>/dev/null; then
    scancel --full --user="$(id -un)" 2>/dev/null
    for i in $(seq 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    [ -s "$d/$f" ] || continue
    p=$(cat "$d/$f")
    kill "$p" 2>/dev/null || continue
    for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
  done
  return 0
}
