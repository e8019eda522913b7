"""The vocabulary of data problems and the validation report that lists them.

An `Issue` names one problem with one subject (a sample, or a file when the problem is the file
itself). Issues marked `excluded` mean the subject is left out of the dataset; the others are
warnings that keep it. Nothing is ever repaired: a box one pixel too far is reported, not clipped.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from dataclasses import dataclass, field
from enum import Enum


class IssueKind(str, Enum):
    """Why a subject is listed. The value is what the text and JSON reports print."""

    MISSING_IMAGE = "missing_image"                    # annotation without its image
    MISSING_ANNOTATION = "missing_annotation"          # image without its annotation
    UNREADABLE_IMAGE = "unreadable_image"              # the decoder cannot read it
    UNREADABLE_ANNOTATION = "unreadable_annotation"    # malformed XML, undecodable text, I/O error
    INVALID_ANNOTATION = "invalid_annotation"          # readable, but a field is missing or not a number
    SIZE_MISMATCH = "size_mismatch"                    # annotation says one size, the image another
    UNKNOWN_LABEL = "unknown_label"                    # a class name outside the dataset's classes
    OUT_OF_BOUNDS = "out_of_bounds"                    # a box beyond the image (past the tolerance)
    ZERO_AREA = "zero_area"                            # width or height <= 0 (includes inverted boxes)
    TINY_BOX = "tiny_box"                              # width or height under the minimum
    DUPLICATE_IMAGE = "duplicate_image"                # same bytes (or same crop pixels) as an earlier one
    DUPLICATE_BOX = "duplicate_box"                    # two boxes of one image overlap almost entirely
    BLANK_IMAGE = "blank_image"                        # (nearly) constant pixels: a black frame, an empty crop
    NO_OBJECTS = "no_objects"                          # warning: an annotation without boxes (kept as a negative)


@dataclass(frozen=True)
class Issue:
    kind: IssueKind
    subject: str
    detail: str = ""
    excluded: bool = True

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value, "subject": self.subject, "detail": self.detail,
                "excluded": self.excluded}


@dataclass(frozen=True)
class ValidationReport:
    """Result of one validation pass over a data source.

    `checked` counts the samples looked at (frames, characters), `kept` those that passed;
    `issues` is in discovery order. `notes` carries free-form facts worth reading (counts per
    source folder, for instance).
    """

    dataset: str
    source: str
    checked: int
    kept: int
    issues: tuple[Issue, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def excluded_subjects(self) -> frozenset[str]:
        return frozenset(i.subject for i in self.issues if i.excluded)

    def counts(self, *, excluded_only: bool = False) -> dict[str, int]:
        """Issues per kind (a subject with two problems counts under both kinds)."""
        c = Counter(i.kind.value for i in self.issues if i.excluded or not excluded_only)
        return dict(sorted(c.items()))

    def issues_of(self, kind: IssueKind) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.kind is kind)

    def to_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "source": self.source,
            "checked": self.checked,
            "kept": self.kept,
            "excluded": self.checked - self.kept,
            "issue_counts": self.counts(),
            "notes": list(self.notes),
            "issues": [i.to_dict() for i in self.issues],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def write(self, folder: Path) -> tuple[Path, Path]:
        """`validation_report.json` and `validation_report.txt` in `folder`."""
        folder = Path(folder)
        paths = folder / "validation_report.json", folder / "validation_report.txt"
        paths[0].write_text(self.to_json())
        paths[1].write_text(self.to_text())
        return paths

    def to_text(self, *, max_listed: int | None = None) -> str:
        """A readable summary: totals, counts per kind, then every issue (or the first `max_listed`)."""
        lines = [
            f"validation of {self.dataset}: {self.source}",
            f"  checked {self.checked}, kept {self.kept}, excluded {self.checked - self.kept}",
        ]
        counts = self.counts()
        if counts:
            lines.append("  issues per kind:")
            excluded = self.counts(excluded_only=True)
            for kind, n in counts.items():
                tag = "" if excluded.get(kind, 0) == n else f" ({n - excluded.get(kind, 0)} kept as warnings)"
                lines.append(f"    {kind:<22} {n}{tag}")
        else:
            lines.append("  no issues")
        lines.extend(f"  note: {n}" for n in self.notes)
        listed = self.issues if max_listed is None else self.issues[:max_listed]
        for issue in listed:
            mark = "excluded" if issue.excluded else "warning "
            lines.append(f"  [{mark}] {issue.kind.value}: {issue.subject}"
                         + (f" -- {issue.detail}" if issue.detail else ""))
        if len(listed) < len(self.issues):
            lines.append(f"  ... {len(self.issues) - len(listed)} more (see the JSON report)")
        return "\n".join(lines) + "\n"



class NothingValid(RuntimeError):
    """Validation left no sample to build a dataset from; `report` says why."""

    def __init__(self, message: str, report: ValidationReport):
        super().__init__(message)
        self.report = report
