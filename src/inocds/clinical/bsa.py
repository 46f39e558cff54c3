"""Body surface area (m2) from height (cm) and actual body weight (kg).

Five formulas, named in the protocol data (protocol/schema.toml, with the contract's
default, Mosteller); `FORMULAS` binds each name to its function. Full precision is returned:
rounding to 2 decimals happens where the dose is computed (CONTRACT.md, dose).

- Mosteller RD. Simplified calculation of body-surface area. N Engl J Med
  1987;317:1098. doi:10.1056/NEJM198710223171717
- Du Bois D, Du Bois EF. A formula to estimate the approximate surface area if
  height and weight be known. Arch Intern Med 1916;17:863-871.
  doi:10.1001/archinte.1916.00080130010002
- Haycock GB, Schwartz GJ, Wisotsky DH. Geometric method for measuring body
  surface area. J Pediatr 1978;93:62-66. doi:10.1016/S0022-3476(78)80601-5
- Gehan EA, George SL. Estimation of human body surface area from height and
  weight. Cancer Chemother Rep 1970;54:225-235. PMID 5527019
- Boyd E. The growth of the surface area of the human body. University of
  Minnesota Press, 1935 (weight in grams, with the log term).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from inocds.protocol.schema import BSA_FORMULAS, DEFAULT_BSA_FORMULA

__all__ = ["FORMULAS", "body_surface_area_m2"]


def mosteller(height_cm: float, weight_kg: float) -> float:
    """sqrt(height_cm * weight_kg / 3600)."""
    return math.sqrt(height_cm * weight_kg / 3600.0)


def dubois(height_cm: float, weight_kg: float) -> float:
    """0.007184 * height_cm^0.725 * weight_kg^0.425."""
    return float(0.007184 * height_cm**0.725 * weight_kg**0.425)


def haycock(height_cm: float, weight_kg: float) -> float:
    """0.024265 * height_cm^0.3964 * weight_kg^0.5378."""
    return float(0.024265 * height_cm**0.3964 * weight_kg**0.5378)


def gehan_george(height_cm: float, weight_kg: float) -> float:
    """0.0235 * height_cm^0.42246 * weight_kg^0.51456."""
    return float(0.0235 * height_cm**0.42246 * weight_kg**0.51456)


def boyd(height_cm: float, weight_kg: float) -> float:
    """0.0003207 * height_cm^0.3 * weight_g^(0.7285 - 0.0188 * log10(weight_g))."""
    weight_g = weight_kg * 1000.0
    return float(0.0003207 * height_cm**0.3 * weight_g ** (0.7285 - 0.0188 * math.log10(weight_g)))


_FUNCTIONS: dict[str, Callable[[float, float], float]] = {
    f.__name__: f for f in (mosteller, dubois, haycock, gehan_george, boyd)
}
FORMULAS: dict[str, Callable[[float, float], float]] = {
    name: _FUNCTIONS[name] for name in BSA_FORMULAS
}
"""Each formula named in the data, by name (a name without a function fails at import)."""


def body_surface_area_m2(
    height_cm: float, weight_kg: float, formula: str = DEFAULT_BSA_FORMULA
) -> float:
    """BSA in m2 by the named formula, unrounded."""
    return FORMULAS[formula](height_cm, weight_kg)
