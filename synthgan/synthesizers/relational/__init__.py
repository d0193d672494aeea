"""RelationalGAN and what it is made of: the model (:mod:`.model`), the walk over the tables and
the matching of parents (:mod:`.plan`) and its model folder (:mod:`.io`)."""

from synthgan.synthesizers.relational.model import RelationalGAN

__all__ = ["RelationalGAN"]
