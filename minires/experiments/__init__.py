"""The paper's experiments: degradation (Fig. 6, Table 6) and layer responses (Fig. 7)."""

from minires.experiments.degradation import degradation, markdown_table
from minires.experiments.responses import response_stds, responses

__all__ = ["degradation", "markdown_table", "responses", "response_stds"]
