"""Authority codes across vintages: forward to successors, back to a sole predecessor, never a merger."""
from __future__ import annotations

import pandas as pd

from geo.codes import align_to, successor_map


def _table(tmp_path):
    path = tmp_path / "changes.csv"
    path.write_text("# test table\nold_code,old_name,new_code,new_name,effective,change\n"
                    "A1,Alpha,A2,Alpha,2020-04-01,code change\n"
                    "A2,Alpha,A3,Alpha,2024-04-01,code change\n"
                    "B1,Beta,M1,Merged,2023-04-01,merger\n"
                    "C1,Gamma,M1,Merged,2023-04-01,merger\n")
    return path


def test_forward_follows_the_chain_to_its_end(tmp_path):
    assert successor_map(_table(tmp_path))["A1"] == ("A3", "Alpha")


def test_new_codes_move_back_onto_older_boundaries(tmp_path):
    codes, moves = align_to(pd.Series(["A3", "X9", None]), {"A1", "B1", "C1"}, _table(tmp_path))
    assert codes.tolist()[:2] == ["A1", "X9"] and pd.isna(codes.iloc[2])
    assert moves == {"A3": "A1"}


def test_old_codes_move_forward_onto_newer_boundaries(tmp_path):
    codes, moves = align_to(pd.Series(["A1", "B1"]), {"A3", "M1"}, _table(tmp_path))
    assert codes.tolist() == ["A3", "M1"] and moves == {"A1": "A3", "B1": "M1"}


def test_a_merged_authority_is_never_split_back(tmp_path):
    codes, moves = align_to(pd.Series(["M1"]), {"B1", "C1"}, _table(tmp_path))
    assert codes.tolist() == ["M1"] and moves == {}
