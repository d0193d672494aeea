"""TabularGAN and what it is made of: the model (:mod:`.model`), its sampling verbs
(:mod:`.sampling`), conditions per row (:mod:`.row_conditions`), training-by-sampling
(:mod:`.conditions`), span operations (:mod:`.spans`), the training problem (:mod:`.problem`) and
its model folder (:mod:`.io`)."""

from synthgan.synthesizers.tabular.model import MIN_ROWS, TabularGAN
from synthgan.synthesizers.tabular.row_conditions import Condition

__all__ = ["MIN_ROWS", "Condition", "TabularGAN"]
