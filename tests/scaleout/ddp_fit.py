"""Run by torchrun in the DDP test: fit a TabularGAN on a tiny table in every rank; each rank writes
its trained weights (EMA generator and critic) to OUT/rank<r>.safetensors, rank 0 the model."""

import sys
from pathlib import Path

import pandas as pd
from safetensors.torch import save_file

from synthgan import TabularGAN
from synthgan.train import distributed


def main(data: str, out: str) -> None:
    with distributed.process_group():
        gan = TabularGAN(epochs=3, min_steps=0, batch_size=100, random_state=0).fit(pd.read_csv(data))
        state = {f"generator.{k}": v.detach().cpu().contiguous() for k, v in gan.generator_.state_dict().items()}
        state |= {f"critic.{k}": v.detach().cpu().contiguous() for k, v in gan._critic.state_dict().items()}
        save_file(state, str(Path(out) / f"rank{distributed.rank()}.safetensors"))
        if distributed.is_main():
            gan.save(Path(out) / "model")
        distributed.barrier()


if __name__ == "__main__":
    main(*sys.argv[1:3])
    distributed.leave(0)        # as the CLI's workers do: no interpreter teardown after the group is left
