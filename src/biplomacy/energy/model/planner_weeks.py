"""A starting basis for the planner's operating LP from its weeks solved one by one (planner_benders.py, ADR 0008).

From HiGHS's slack basis the dual simplex needs about one pivot per zone-hour that ends between its bounds: 200,000
pivots and 22 s at 100 zones x 8,760 h, each pivot on a basis of 880,000 rows. The operating LP's rows link hours only
through the ramp rows between consecutive hours, so cut the year into weeks: each week is a small LP of its own (its
ramp rows, its surplus rows), solved fast. Their optimal bases side by side, with the ramp rows between weeks basic,
are a basis of the whole LP that is dual feasible (a basic row's dual is 0, so every column's reduced cost is its
week's), and primal infeasible only in those few rows: the dual simplex repairs them in a few thousand pivots. The
weeks keep their HiGHS objects, so after a change of the installed MW each is warm-started too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

WEEK = 168  # hours in a block
_STATUS = ("kLower", "kBasic", "kUpper", "kZero", "kNonbasic")  # HiGHS's HighsBasisStatus, in its order


class Weeks:
    """The operating LP (columns hourly, rows each within an hour or between two consecutive hours) cut into weeks.
    `hour_of_col`: each column's hour; the row-wise matrix as starts, index, value; `options`: HiGHS options."""

    def __init__(self, hour_of_col: np.ndarray, starts: np.ndarray, index: np.ndarray, value: np.ndarray,
                 cost: np.ndarray, options: dict[str, Any], length: int = WEEK) -> None:
        nrow, ncol = len(starts) - 1, len(hour_of_col)
        rows_of = np.repeat(np.arange(nrow), np.diff(starts))
        hour = hour_of_col[index]
        first = np.full(nrow, np.iinfo(np.int64).max)
        np.minimum.at(first, rows_of, hour)
        last = np.full(nrow, -1)
        np.maximum.at(last, rows_of, hour)
        col_week = hour_of_col // length
        row_week = np.where(first // length == last // length, first // length, -1)  # -1: between two weeks
        self.nrow, self.ncol, self.cost, self.options = nrow, ncol, cost, options
        weeks = int(col_week.max()) + 1 if ncol else 0
        # one stable sort by week each for columns, rows and entries; a column's or row's place in its week is its
        # place in that order less where its week starts (rows between weeks sort first, as week -1, and are left out)
        cols_by_week, col_starts = _by_week(col_week, weeks)
        rows_by_week, row_starts = _by_week(row_week, weeks)
        place_col, place_row = np.empty(ncol, np.int64), np.empty(nrow, np.int64)
        place_col[cols_by_week] = np.arange(ncol) - col_starts[col_week[cols_by_week]]
        inner = row_week[rows_by_week] >= 0
        place_row[rows_by_week[inner]] = np.arange(nrow)[inner] - row_starts[row_week[rows_by_week[inner]]]
        entries_by_week, entry_starts = _by_week(row_week[rows_of], weeks)
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for w in range(weeks):
            e = entries_by_week[entry_starts[w]:entry_starts[w + 1]]
            self.parts.append((cols_by_week[col_starts[w]:col_starts[w + 1]],
                               rows_by_week[row_starts[w]:row_starts[w + 1]], place_row[rows_of[e]],
                               place_col[index[e]], value[e]))
        self.highs: list[Any] = [None] * len(self.parts)

    def basis(self, col_lower: np.ndarray, col_upper: np.ndarray, row_lower: np.ndarray,
              row_upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each week solved at these bounds (warm from its last basis); their bases side by side, as HiGHS's status
        codes for columns and rows, the rows between weeks basic."""
        import highspy

        col_status = np.zeros(self.ncol, np.int8)
        row_status = np.ones(self.nrow, np.int8)
        for w, (cols, rows, r, c, v) in enumerate(self.parts):
            h = self.highs[w]
            if h is None:
                h = self.highs[w] = highspy.Highs()
                for name, value in self.options.items():
                    h.setOptionValue(name, value)
                pass_rows(h, self.cost[cols], col_lower[cols], col_upper[cols], r, c, v, row_lower[rows],
                          row_upper[rows])
            else:
                h.changeColsBounds(len(cols), np.arange(len(cols), dtype=np.int32), col_lower[cols], col_upper[cols])
                h.changeRowsBounds(len(rows), np.arange(len(rows), dtype=np.int32), row_lower[rows], row_upper[rows])
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                raise ValueError(f"week {w} of the operating LP: {h.modelStatusToString(h.getModelStatus())}")
            b = h.getBasis()
            col_status[cols] = [int(s) for s in b.col_status]
            row_status[rows] = [int(s) for s in b.row_status]
        return col_status, row_status


def _by_week(week: np.ndarray, weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """The indices sorted by week (stable), and where each week 0..weeks-1 starts among them (and the end)."""
    order = np.argsort(week, kind="stable")
    return order, np.searchsorted(week[order], np.arange(weeks + 1))


def set_basis(h: Any, col_status: np.ndarray, row_status: np.ndarray) -> bool:
    """Hand HiGHS a basis given as status codes; whether it took it."""
    import highspy

    table = [getattr(highspy.HighsBasisStatus, name) for name in _STATUS]
    b = highspy.HighsBasis()
    b.col_status = [table[i] for i in col_status]
    b.row_status = [table[i] for i in row_status]
    b.valid = True
    return bool(h.setBasis(b) == highspy.HighsStatus.kOk)


def pass_rows(h: Any, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, r: np.ndarray, c: np.ndarray,
              v: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> None:
    """Hand HiGHS an LP given as (row, column, value) triplets in one passModel call."""
    import highspy

    order = np.argsort(r, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=len(row_lower)))]).astype(np.int32)
    h.passModel(len(cost), len(row_lower), len(r), int(highspy.MatrixFormat.kRowwise.value),
                int(highspy.ObjSense.kMinimize.value), 0.0, cost, lower, upper, row_lower, row_upper, starts[:-1],
                c[order].astype(np.int32), v[order], np.zeros(len(cost), dtype=np.int32))
