"""Partitions: plates (dynamic), encoders and group methods (static, from the vocabulary), encoder x plate, lens α."""

import dagster as dg

from phenodag.core.lens.config import LENS_ALPHAS, alpha_key
from phenodag.core.shared.vocab import ENCODER_NAMES, GROUP_METHODS

plates_partitions = dg.DynamicPartitionsDefinition(name="plates")
encoder_partitions = dg.StaticPartitionsDefinition(list(ENCODER_NAMES))
embedding_partitions = dg.MultiPartitionsDefinition({"encoder": encoder_partitions, "plate": plates_partitions})
method_partitions = dg.StaticPartitionsDefinition(list(GROUP_METHODS))
lens_partitions = dg.StaticPartitionsDefinition([alpha_key(a) for a in LENS_ALPHAS])


def embedding_key(encoder: str, plate: str) -> dg.MultiPartitionKey:
    """The ``embedding_partitions`` key of one encoder and plate."""
    return dg.MultiPartitionKey({"encoder": encoder, "plate": plate})
