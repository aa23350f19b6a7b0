# Shared by the ship scripts (ship_model.sh, ship_carracing.sh). Source it; it runs nothing by itself.
HEBBKIT=${HEBBKIT:-.venv/bin/hebbkit}

# ship_files RUN MODEL ARTIFACT CHECKPOINT: ARTIFACT (a run's latest.npz, or a snapshot chosen by validation)
# becomes MODEL/model.npz, after `hebbkit inspect` has read it (a damaged file stops here, before anything is
# overwritten); the run's resumable files (config.json, log.csv, validation.csv, checkpoint.npz, best.npz; not
# latest.npz or the snapshots) are copied to MODEL/CHECKPOINT; the training curve is drawn from them.
ship_files() {
    local run=$1 model=$2 artifact=$3 checkpoint=$4
    [ -f "$artifact" ] || { echo "no $artifact: nothing to ship" >&2; return 1; }
    "$HEBBKIT" inspect "$artifact"   # validates the file, prints its provenance
    mkdir -p "$model/$checkpoint"
    cp "$artifact" "$model/model.npz"
    local file
    if [ ! "$run" -ef "$model/$checkpoint" ]; then   # shipping from the committed checkpoint itself copies nothing
        for file in config.json log.csv validation.csv checkpoint.npz best.npz; do
            if [ -f "$run/$file" ]; then cp "$run/$file" "$model/$checkpoint/"; fi
        done
    fi
    "$HEBBKIT" plot "$model/$checkpoint" --output "$model/training_curve.png"
}
