"""The onboard table: flash, RAM and instructions per control step of each model on the STM32F405 (both builds of
the forward sums) as Markdown. `benchmarks/onboard_step.py` measures them in QEMU (`onboard_bench`) and prints the
table, or rewrites it in place between the markers of a document (`replace_table`); nobody types it by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .onboard_bench import CORE_HZ, FLASH_BYTES, SRAM_BYTES

FORWARDS = ("double", "float")
"""The builds of the forward sums (`make bench FORWARD=...`)."""
HEADER = ("| model | forward sums | flash (of 1 MB) | RAM (of 128 KB SRAM) | instructions / step "
          "| step at 168 MHz / period = duty | first-step max abs diff vs NumPy |\n|---|---|---|---|---|---|---|")
START, END = "<!-- onboard-table: start", "<!-- onboard-table: end -->"
"""The markers between which `replace_table` writes the table (the start marker's line may go on)."""


@dataclass(frozen=True)
class OnboardRow:
    """One model in one build: its image's flash and RAM, the median instructions of a control step, its control
    period (seconds) and the first step's largest |action difference| from the NumPy policy."""

    model: str
    forward: str
    flash: int
    ram: int
    instructions: float
    control_period: float
    first_difference: float

    @property
    def step_ms(self) -> float:
        """A control step at 168 MHz, one instruction per cycle (QEMU counts instructions, not cycles)."""
        return 1e3 * self.instructions / CORE_HZ

    @property
    def duty(self) -> float:
        """The share of the control period a step takes."""
        return self.step_ms / (1e3 * self.control_period)

    def markdown(self) -> str:
        return (f"| {self.model} | {self.forward} | {self.flash:,} B ({self.flash / FLASH_BYTES:.1%}) | "
                f"{self.ram:,} B ({self.ram / SRAM_BYTES:.1%}) | {self.instructions:,.0f} | {self.step_ms:.2f} ms "
                f"/ {1e3 * self.control_period:g} ms = {self.duty:.1%} | {self.first_difference:.1e} |")


def markdown_table(rows: list[OnboardRow | str]) -> str:
    """The table: the header, then a row per measured build; a string is a row already written (a model that is
    not exportable)."""
    return "\n".join([HEADER, *(row if isinstance(row, str) else row.markdown() for row in rows)])


def not_exportable(model: str, reason: str) -> str:
    """The row of a model that cannot be exported to C."""
    return f"| {model} | - | not exportable: {reason} | | | | |"


def replace_table(text: str, table: str) -> str:
    """`text` with whatever stands between its onboard-table markers replaced by `table` (ValueError if the
    markers are missing or out of order)."""
    pattern = re.compile(rf"({re.escape(START)}[^\n]*\n)(.*?)(^{re.escape(END)})", re.DOTALL | re.MULTILINE)
    if pattern.search(text) is None:
        raise ValueError(f"no {START} ... --> / {END} markers, in that order")
    return pattern.sub(lambda match: f"{match.group(1)}\n{table}\n\n{match.group(3)}", text, count=1)
