#!/usr/bin/env bash
# Every CUDA measurement of the project in one prepared run, for a lent GPU machine (see the
# README's "Measured" section). Results go to $OUT (or benchmarks/results); each step has its own
# time limit, so one slow step cannot eat the others. The most important steps come first.
#     OUT=/tmp/gpu bash benchmarks/gpu_session.sh
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
R=${OUT:-benchmarks/results}
mkdir -p "$R"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"
step() { local limit=$1; shift; echo "=== $* (limit ${limit}s)"; local t0=$SECONDS
         timeout "$limit" "$@"; echo "=== rc $? in $((SECONDS - t0)) s"; }
# the GPU-only tests: CUDA-graph training equals eager training; masks equal across devices
step 60 python3 -m pytest -q -p no:cacheprovider tests/test_cuda_graph.py
# issue 6: the whole default reversal run on one GPU (target: under 60 s), CUDA graphs on
step 90 python3 -m minillada reversal --device cuda --no-progress --out "$R/reversal_cuda"
# issues 5 and 8: training throughput and MFU, "gpu" preset, bf16 + torch.compile, MDM vs AR
step 110 python3 -m benchmarks.train_throughput --device cuda --compile --out "$R"
# issue 8: the prefix cache at gen_length 256, block 32, for a launch-bound and a compute-bound model
step 130 python3 -m benchmarks.sampling_speed --device cuda --skip-toy --repeats 2 \
    --long-preset gpu 100m --long-batch 1 16 64 --out "$R"
# issue 8: a model of about 100M parameters, bf16 + compile
step 100 python3 -m benchmarks.train_throughput --device cuda --compile --preset 100m --out "$R"
# a small model, eager against CUDA graphs (the reversal's shape of work)
step 40 python3 -m benchmarks.train_throughput --device cuda --preset tiny --batch-size 128 \
    --seq-len 64 --out "$R"
step 40 python3 -m benchmarks.train_throughput --device cuda --preset tiny --batch-size 128 \
    --seq-len 64 --cuda-graph --out "$R"
