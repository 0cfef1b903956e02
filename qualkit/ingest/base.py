"""What every reader returns, and the options readers take."""

from __future__ import annotations

from dataclasses import dataclass, field

from qualkit.records import Block, DocumentKind


@dataclass(frozen=True)
class ReadOptions:
    """Options from ``qualkit ingest`` that change how a source is read."""

    kind: str = "auto"  # auto | transcript | document | survey
    pdf_text: bool = False  # plain text that was extracted from a PDF elsewhere: clean it up
    id_column: str | None = None
    text_column: str | None = None  # one survey column, as before `text_columns`
    # Survey columns with answers (`--text-column`, repeatable): names, unique prefixes,
    # 1-based numbers or shell-style patterns ("Q*"). Used together with `text_column`.
    text_columns: tuple[str, ...] = ()
    case_column: str | None = None  # survey files: the column naming each respondent's case (their school)

    @property
    def text_column_specs(self) -> tuple[str, ...]:
        """Every survey text column asked for, in order, each once."""
        given = (*self.text_columns, *((self.text_column,) if self.text_column else ()))
        return tuple(dict.fromkeys(given))


@dataclass(frozen=True)
class RawText:
    """A reader's output: plain text, plus its structure where the format itself gives it.

    ``blocks`` is None when structure must be found in the text (speaker lines, paragraphs);
    ``kind`` is None when the format does not decide it.
    """

    text: str
    blocks: tuple[Block, ...] | None = None
    kind: DocumentKind | None = None
    name_suffix: str | None = None  # survey rows: the response id
    attributes: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, object] = field(default_factory=dict)
    case: str | None = None  # survey rows: the respondent's case, from --case-column
