# Over-the-air bundles on the virtual board (vboard.mode=ota; tests/vboard/systemd/ota-scenarios.sh
# prepares the bundles in /root/ota and judges the power cuts). Run by scenarios.sh. The
# same disk is booted again after each power cut; /var/lib/vboard-ota says where we are.
#   launch 1     ota.a (good bundle committed after the health check), ota.refused (a
#                tampered bundle and a downgrade exit 65, nothing changes), ota.b (a bundle
#                whose model gives NaN: rolled back by the service itself, which keeps
#                running the old model), ota.mender.commit / .nan / .rollback (Mender's
#                standalone mode through the packaged update module), then power cut 1
#   launch K+1   ota.cut.K: what the next start runs after cut K; then cut K+1, or after
#                the last one ota.cut.final and a poweroff
# Each cut: the guest prints "vboard-systemd: mark cut K MS" and at once installs
# /root/ota/cut-2.0.K.edgb and restarts the service (what Mender's module does); the host
# kills QEMU MS ms after the mark. The cuts are spread over the install and over the
# service's start and trial that follow it.
# Sourced by scenarios.sh, whose helpers it uses (say, pass, fail, prop, wait_for, active,
# lines, more_lines).
ms() { date +%s%3N; }
ids() {  # the journal's update events of this boot, in order: "<event> <message>"
  journalctl -b --no-pager -o cat "$@" 2>/dev/null
}
INSTALLED=c24595b0cfb44add83c0e79c87364a6d
ACTIVATED=1ad6e074bcf8435da3b0748d06e4c279
COMMITTED=e40843f16c4f491d9cad49aceb764156
ROLLED_BACK=721ad5c7b93b4ecaa041434357666642
REFUSED=55fa3e2663774e6bac8c6fd79f053aaf
event() { ids MESSAGE_ID="$1" | tail -1; }
events() { ids MESSAGE_ID="$1" | wc -l; }

S=/var/lib/vboard-ota
mkdir -p "$S"
cuts=$(sed -n 's/.*vboard\.cuts=\([0-9]*\).*/\1/p' /proc/cmdline)
cuts=${cuts:-10}

# The slot store as `edgert update status --json` says: st_read fills $st.
st_read() { st=$(edgert update status --json 2>&1); }
st_current() { sed -n 's/.*"current":"\([ab]\)".*/\1/p' <<<"$st"; }
st_active() { sed -n 's/.*"active_version":"\([^"]*\)".*/\1/p' <<<"$st"; }
st_state() { sed -n "s/.*\"$1\":{\"state\":\"\([a-z]*\)\".*/\1/p" <<<"$st"; }
st_version() { sed -n "s/.*\"$1\":{\"state\":\"[a-z]*\",\"version\":\"\([^\"]*\)\".*/\1/p" <<<"$st"; }
st_reason() { sed -n "s/.*\"$1\":{[^}]*\"reason\":\"\(\([^\"\\\\]\|\\\\.\)*\)\".*/\1/p" <<<"$st"; }
st_brief() { st_read; echo "current $(st_current) active $(st_active); a $(st_state a) $(st_version a); b $(st_state b) $(st_version b)"; }
slot_of() {  # the slot holding version $1
  local s
  for s in a b; do [ "$(st_version $s)" = "$1" ] && { echo $s; return; }; done
}
# A restart counts against StartLimitBurst (5 in 300 s); an administrator clears it alike.
restart() { systemctl reset-failed edgert 2>/dev/null; systemctl restart edgert; }
healthy_with() {  # edgert health says the service runs bundle $1
  edgert health --wait "${2:-90}" >/tmp/health.out 2>&1 && grep -q "bundle $1" /tmp/health.out
}
frames_flow() {
  wait_for 30 more_lines $(( $(lines) + 1 )) && tail -1 /run/edgert/detections.jsonl | grep -q '"width":640,'
}

ota_a() {
  if ! wait_for 120 active; then fail ota.a "edgert.service not active: $(systemctl status edgert --no-pager -l | tail -8)"; return; fi
  local t0 t1 rc out
  t0=$(ms)
  out=$(edgert update install /root/ota/good-1.1.0.edgb 2>&1); rc=$?
  t1=$(ms)
  echo $((t1 - t0)) >"$S/install_ms"
  say "install took $((t1 - t0)) ms: $(tail -1 <<<"$out")"
  [ $rc = 0 ] || { fail ota.a "install exited $rc: $out"; return; }
  t0=$(ms)
  restart
  out=$(edgert update commit --timeout 180 2>&1); rc=$?
  t1=$(ms)
  echo $((t1 - t0)) >"$S/trial_ms"
  st_read
  local slot status prom
  slot=$(st_current)
  status=$(prop StatusText)
  sleep 2.5  # a status period: the Prometheus file names the bundle
  prom=$(grep '^edgert_update_active_info' /run/edgert/edgert.prom)
  say "commit after $((t1 - t0)) ms: $out | StatusText=$status | $prom"
  if [ $rc = 0 ] && [ "$(st_state "$slot")" = ok ] && [ "$(st_version "$slot")" = 1.1.0 ] &&
     [ -n "$(event $INSTALLED)" ] && [ -n "$(event $ACTIVATED)" ] && [ -n "$(event $COMMITTED)" ] &&
     [[ $status == *"bundle 1.1.0"* ]] && [[ $prom == *'version="1.1.0"'* ]] && healthy_with 1.1.0 && frames_flow; then
    pass ota.a "bundle 1.1.0 installed in slot $slot, committed by the service after its trial ($((t1 - t0)) ms from the restart); journal: $(event $COMMITTED)"
  else
    fail ota.a "commit exit $rc, $(st_brief), events installed '$(event $INSTALLED)' committed '$(event $COMMITTED)', health: $(cat /tmp/health.out)"
  fi
}

ota_refused() {
  local before after rc1 rc2 out1 out2
  st_read; before=$st
  out1=$(edgert update install /root/ota/tampered-1.9.0.edgb 2>&1); rc1=$?
  out2=$(edgert update install /root/ota/old-1.0.0.edgb 2>&1); rc2=$?   # a downgrade
  st_read; after=$st
  say "tampered: $out1"
  say "downgrade: $out2"
  if [ $rc1 = 65 ] && [ $rc2 = 65 ] && [ "$before" = "$after" ] && [ "$(events $REFUSED)" -ge 2 ] && active; then
    pass ota.refused "a tampered bundle and a downgrade to 1.0.0 exit 65, the slots unchanged; journal: $(event $REFUSED)"
  else
    fail ota.refused "exits $rc1 $rc2, slots changed: $([ "$before" = "$after" ] && echo no || echo yes), refused events $(events $REFUSED)"
  fi
}

ota_b() {
  local rc out pid slot good
  st_read; good=$(st_current)
  out=$(edgert update install /root/ota/nan-1.2.0.edgb 2>&1); rc=$?
  [ $rc = 0 ] || { fail ota.b "install exited $rc: $out"; return; }
  restart
  wait_for 60 active
  pid=$(prop MainPID)
  out=$(edgert update commit --timeout 180 2>&1); rc=$?
  st_read
  slot=$(slot_of 1.2.0)
  say "commit: $out"
  say "status: $(st_brief); 1.2.0: $(st_reason "$slot")"
  if [ $rc = 1 ] && [ "$(st_state "$slot")" = failed ] && [[ $(st_reason "$slot") == *finite* ]] &&
     [ "$(st_current)" = "$good" ] && [ "$(st_version "$good")" = 1.1.0 ] && [ -n "$(event $ROLLED_BACK)" ] &&
     healthy_with 1.1.0 60 && [ "$(prop MainPID)" = "$pid" ] && frames_flow; then
    pass ota.b "the NaN model of 1.2.0 was rolled back by the service itself (same PID $pid), 1.1.0 runs again; journal: $(event $ROLLED_BACK)"
  else
    fail ota.b "commit exit $rc, PID $(prop MainPID) (was $pid), rolled back event '$(event $ROLLED_BACK)', health: $(cat /tmp/health.out)"
  fi
}

mender_artifact() { mender show-artifact 2>/dev/null | tail -1; }

ota_mender_commit() {
  local rc out
  systemctl reset-failed edgert
  out=$(mender install /root/ota/m-1.3.0.mender 2>&1); rc=$?
  say "mender install: $(grep -o "Use 'commit'.*" <<<"$out" | head -1) (exit $rc)"
  [ $rc = 0 ] || { fail ota.mender.commit "mender install exited $rc: $(tail -5 <<<"$out" | tr '\n' ' ')"; return; }
  out=$(mender commit 2>&1); rc=$?
  st_read
  if [ $rc = 0 ] && [ "$(st_active)" = 1.3.0 ] && [ "$(st_state "$(st_current)")" = ok ] &&
     [ "$(mender_artifact)" = edgert-1.3.0 ] && healthy_with 1.3.0; then
    pass ota.mender.commit "mender install + commit: bundle 1.3.0 committed after the service's health check; mender show-artifact: $(mender_artifact)"
  else
    fail ota.mender.commit "mender commit exit $rc ($(tail -3 <<<"$out" | tr '\n' ' ')), $(st_brief), artifact $(mender_artifact)"
  fi
}

ota_mender_nan() {
  local rc out slot
  systemctl reset-failed edgert
  out=$(mender install /root/ota/m-1.4.0.mender 2>&1); rc=$?
  [ $rc = 0 ] || { fail ota.mender.nan "mender install exited $rc: $(tail -5 <<<"$out" | tr '\n' ' ')"; return; }
  out=$(mender commit 2>&1); rc=$?
  st_read
  slot=$(slot_of 1.4.0)
  if [ $rc != 0 ] && [ "$(st_state "$slot")" = failed ] && [ "$(st_active)" = 1.3.0 ] &&
     [ "$(mender_artifact)" = edgert-1.3.0 ] && healthy_with 1.3.0 60; then
    pass ota.mender.nan "mender commit exit $rc: the service rolled 1.4.0 back ($(st_reason "$slot")), Mender rolled back its deployment, 1.3.0 runs"
  else
    fail ota.mender.nan "mender commit exit $rc, $(st_brief), artifact $(mender_artifact), $(tail -4 <<<"$out" | tr '\n' ' ')"
  fi
}

ota_mender_rollback() {
  local rc out slot pending
  systemctl stop edgert   # no race with the service's own commit: the trial cannot begin
  out=$(mender install /root/ota/m-1.5.0.mender 2>&1); rc=$?
  [ $rc = 0 ] || { fail ota.mender.rollback "mender install exited $rc: $(tail -5 <<<"$out" | tr '\n' ' ')"; systemctl start edgert; return; }
  st_read; slot=$(slot_of 1.5.0); pending=$(st_state "$slot")
  out=$(mender rollback 2>&1); rc=$?
  systemctl reset-failed edgert
  systemctl start edgert
  st_read
  local again
  mender commit >/dev/null 2>&1; again=$?
  if [ "$pending" = pending ] && [ $rc = 0 ] && [ "$(st_state "$slot")" = failed ] && [ "$(st_active)" = 1.3.0 ] &&
     [ "$(mender_artifact)" = edgert-1.3.0 ] && [ $again = 2 ] && healthy_with 1.3.0; then
    pass ota.mender.rollback "mender install + rollback: 1.5.0 was pending, is failed ($(st_reason "$slot")), 1.3.0 runs; nothing left to commit"
  else
    fail ota.mender.rollback "1.5.0 was '$pending', mender rollback exit $rc, $(st_brief), artifact $(mender_artifact), then commit exit $again"
  fi
}

# --- power cuts --------------------------------------------------------------------------
# The cut's moment: cuts 1..7 (of 10) fall in successive slices of the install, the others
# in the restart and the trial after it.
cut_delay() {  # cut_delay K
  local k=$1 install trial n_in
  install=$(cat "$S/install_ms") trial=$(cat "$S/trial_ms")
  n_in=$(( (cuts * 7 + 9) / 10 ))
  if [ "$k" -le "$n_in" ]; then
    echo $(( (k - 1) * install / n_in + RANDOM % (install / n_in + 1) ))
  else
    echo $(( install + RANDOM % (trial + 1) ))
  fi
}

cut() {  # cut K: never returns (the host kills the board)
  local k=$1 d
  d=$(cut_delay "$k")
  st_read
  echo "$k $(st_active)" >"$S/expect"
  echo "$k" >"$S/iter"
  sync
  # Straight to the console (not through the journal): the host times the cut from this line.
  echo "vboard-systemd: mark cut $k $d" >/dev/console
  { edgert update install /root/ota/cut-2.0.$k.edgb >/dev/null 2>&1 && systemctl reset-failed edgert &&
    systemctl try-restart edgert; } &
  sleep 600
  fail "ota.cut.$k" "no power cut came within 600 s"
  systemctl poweroff
  exit 1
}

# After cut K: the store opens and repairs itself, no slot that may run is damaged, what
# runs is the version from before the cut or the new one (on trial with tries left, or
# committed), and the service comes up healthy on it. A trial the cut left behind is ended
# by hand after odd cuts (`edgert update rollback`) and by the service after even ones, so
# both paths follow a cut.
check_after_cut() {  # check_after_cut K
  local k=$1 before out rc s bad="" side what
  read -r _ before <"$S/expect"
  out=$(edgert update status --verify 2>&1); rc=$?
  st_read
  say "after cut $k: $(tr '\n' '|' <<<"$out")"
  for s in a b; do
    case $(st_state $s) in ok|pending|failed|empty) ;; *) bad="$bad slot $s is '$(st_state $s)';" ;; esac
  done
  [ "$(st_state a)" = pending ] && [ "$(st_state b)" = pending ] && bad="$bad two slots pending;"
  case $(st_active) in
    "$before") side=old ;;
    "2.0.$k") side=new ;;
    *) bad="$bad active version '$(st_active)' is neither $before nor 2.0.$k;" ;;
  esac
  s=$(st_current)
  what="$(st_active) in slot ${s:-none} ($(st_state "$s")"
  [ "$(st_state "$s")" = pending ] && what+=", $(sed -n "s/.*\"$s\":{[^}]*\"tries_left\":\([0-9]*\).*/\1/p" <<<"$st") tries left"
  what+=")"
  # What the store repaired when the service opened it at boot (an install or a link change
  # the cut interrupted), as the service logged it.
  local repaired
  repaired=$(journalctl -b -u edgert --no-pager -o cat | grep -E 'interrupted|set aside|rebuilt' | head -3 | tr '\n' ';')
  [ -n "$repaired" ] && what+="; repaired at start: $repaired"
  if [ -n "$s" ]; then
    case $(st_state "$s") in ok|pending) ;; *) bad="$bad current slot is $(st_state "$s");" ;; esac
  fi
  [ $rc = 0 ] || bad="$bad status --verify exited $rc;"
  if [ -z "$bad" ] && [ "$(st_state "$s")" = pending ] && [ $((k % 2)) = 1 ]; then
    edgert update rollback >/dev/null && restart
    st_read
    what+="; its trial rolled back by hand: $(st_active) runs"
  fi
  if [ -z "$bad" ] && wait_for 90 active && healthy_with "$(st_active)" 120; then
    echo "$side" >>"$S/sides"
    pass "ota.cut.$k" "the cut fell on the $side side: $what; every slot that may run is intact; healthy on $(st_active)"
  else
    fail "ota.cut.$k" "$bad service $(prop ActiveState), health: $(cat /tmp/health.out 2>/dev/null)"
  fi
}

iter=$(cat "$S/iter" 2>/dev/null || echo 0)
say "ota launch $((iter + 1)) of $((cuts + 1)); $(st_brief)"
if [ "$iter" = 0 ]; then
  ota_a; ota_refused; ota_b; ota_mender_commit; ota_mender_nan; ota_mender_rollback
  say "install $(cat "$S/install_ms") ms, restart to commit $(cat "$S/trial_ms") ms: the cuts fall within"
  cut 1
fi
check_after_cut "$iter"
if [ "$iter" -lt "$cuts" ]; then cut $((iter + 1)); fi
st_read
sides=$(sort "$S/sides" 2>/dev/null | uniq -c | tr -s ' \n' ' ')
if [ "$(st_state "$(st_current)")" = ok ] && healthy_with "$(st_active)" 120; then
  pass ota.cut.final "$cuts power cuts; the cuts fell on these sides:$sides; $(st_active) runs committed"
else
  fail ota.cut.final "$(st_brief), health: $(cat /tmp/health.out)"
fi
say "done"
systemctl poweroff
