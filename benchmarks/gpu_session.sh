#!/usr/bin/env bash
# Every CUDA measurement of the project in one prepared run, for a lent GPU machine (see the
# README's "Measured" section). Results go to $OUT (or benchmarks/results); each step has its own
# time limit, so one slow step cannot eat the others.
#     OUT=/tmp/gpu bash benchmarks/gpu_session.sh
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
R=${OUT:-benchmarks/results}
mkdir -p "$R"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"
step() { local limit=$1; shift; echo "=== $* (limit ${limit}s)"; local t0=$SECONDS
         timeout "$limit" "$@"; echo "=== rc $? in $((SECONDS - t0)) s"; }
# issues 5 and 8: training throughput and MFU, "gpu" preset, bf16 + torch.compile, MDM vs AR
step 130 python3 -m benchmarks.train_throughput --device cuda --compile --out "$R"
# issue 8: sampling speed/quality on the toy task, and the prefix cache at gen_length 256, block 32
step 150 python3 -m benchmarks.sampling_speed --device cuda --repeats 2 --long-batch 1 16 --out "$R"
# issue 6: the whole default reversal run on one GPU (target: under 60 s)
step 90 python3 -m minillada reversal --device cuda --no-progress --out "$R/reversal_cuda"
# issue 8: a model of about 100M parameters, bf16 + compile
step 130 python3 -m benchmarks.train_throughput --device cuda --compile --preset 100m --out "$R"
# issue 5: the "gpu" training preset through the command line, 300 steps
step 70 python3 -m minillada train --preset gpu --max-steps 300 --eval-every 100 --save-every 0 \
    --no-progress --out /tmp/gpu_run
