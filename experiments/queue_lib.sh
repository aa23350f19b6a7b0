# Shared by the run queues (run_study.sh, run_models.sh, run_carracing*.sh): train one run to its env-step budget,
# resuming it where it stopped, then score its snapshots on held-out bodies (on Gymnasium, for CarRacing). Source it; it runs nothing by itself.
HEBBKIT=${HEBBKIT:-.venv/bin/hebbkit}

# hold_queue_lock: one training at a time on these cores. The first queue to train takes runs/.queue.lock (flock,
# held until that script exits; the queues it starts inherit it through HEBBKIT_QUEUE_LOCK); any other queue stops at
# once with one line and exit status 75 instead of training beside it.
hold_queue_lock() {
    [ -n "${HEBBKIT_QUEUE_LOCK:-}" ] && return 0
    mkdir -p runs
    exec 9>> runs/.queue.lock
    if ! flock -n 9; then
        echo "another training queue is running ($(cat runs/.queue.pid 2>/dev/null || echo "pid unknown"); it holds" \
             "runs/.queue.lock): one training at a time on these cores" >&2
        exit 75
    fi
    echo "$$ $0" > runs/.queue.pid
    export HEBBKIT_QUEUE_LOCK=$$
}

# train_run NAME SOURCE BUDGET [FLAGS...]: runs/NAME is resumed if it holds a checkpoint; else a committed copy
# (SOURCE: a directory with config.json and checkpoint.npz; - for none) is copied there and resumed; else a new run
# starts with FLAGS; only while no other queue trains (hold_queue_lock). BUDGET is the run's total env steps (a
# resumed run may raise it). Then `hebbkit validate` scores its new snapshots, if it has any (with $VALIDATE_FLAGS, e.g. "--every 5", when set; not with VALIDATE=0).
train_run() {
    local name=$1 source=$2 budget=$3
    shift 3
    hold_queue_lock
    if [ ! -f "runs/$name/checkpoint.npz" ] && [ -f "$source/checkpoint.npz" ]; then
        mkdir -p "runs/$name" && cp -r "$source"/. "runs/$name"/
    fi
    if [ -f "runs/$name/checkpoint.npz" ]; then
        # --workers 0 (one per core): a run started on one worker would otherwise keep its stored count
        "$HEBBKIT" train --resume "runs/$name" --env-steps-budget "$budget" --generations 100000 --workers 0 \
            --no-progress
    else
        "$HEBBKIT" train "$@" --env-steps-budget "$budget" --generations 100000 --run-dir "runs/$name" --no-progress
    fi
    # a run resumed from a committed checkpoint that had already reached its budget made no snapshots here;
    # VALIDATE=0 leaves the scoring to a later, explicit `hebbkit validate --bodies ...` (round 2's own bodies)
    if [ "${VALIDATE:-1}" = 1 ] && compgen -G "runs/$name/snapshots/gen_*.npz" > /dev/null; then
        # shellcheck disable=SC2086  # word splitting of the flags is meant
        "$HEBBKIT" validate "runs/$name" --no-progress ${VALIDATE_FLAGS:-}
    fi
}

# train_stages NAME SOURCE "BUDGET..." [FLAGS...]: train_run NAME through each budget in turn (the stages of a long
# run: the run is validated after each).
train_stages() {
    local name=$1 source=$2 budgets=$3 budget
    shift 3
    for budget in $budgets; do
        train_run "$name" "$source" "$budget" "$@"
    done
}

# last_es_step RUN_DIR: "SIGMA LEARNING_RATE" of the last generation in RUN_DIR/log.csv (columns found by name, values
# as logged), so a run that continues another carries its ES schedule on; one line and status 1 if none is logged.
last_es_step() {
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) column[$i] = i; next }
        { s = $column["sigma"]; l = $column["learning_rate"] } END { if (NR < 2) exit 1; print s, l }' \
        "$1/log.csv" 2> /dev/null || { echo "$1/log.csv: no generation logged" >&2; return 1; }
}
