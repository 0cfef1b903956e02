"""A trained scorer as bytes that are only data: JSON and numpy arrays in a zip, never pickle.

A project file is what a team passes around, so opening one must not run anything. Pickle —
and joblib, and anything built on them — can run arbitrary code while loading. skops.io avoids
that with an allow-list of types, but the allow-list must follow every scikit-learn release.
A :class:`~qualkit.suggest.scorer.Scorer` is already plain data (terms, idf weights, one weight
vector, calibration and cut-off per code), so it is stored as exactly that and rebuilt:

* ``meta.json`` — format version, options, per-code choices and parameters, and each text
  block's terms, all checked field by field on loading;
* ``*.npy`` — float arrays, read with ``allow_pickle=False`` (an object array is refused).

:func:`loads` refuses anything else — a pickle (including models stored by qualkit before this
format), a zip with unexpected members, oversized members, wrong types or inconsistent shapes —
with one :class:`~qualkit.errors.ModelError`. A side effect worth having: the bytes do not depend
on the scikit-learn version, so a model trained on one machine loads on another.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping
from typing import Any

from qualkit.errors import ModelError
from qualkit.suggest.features import RULE_COUNT_FEATURES, FittedBlock, TextFeatures, VectorizerSpec
from qualkit.suggest.scorer import CodeChoice, CodeModel, CutoffPolicy, Scorer, ScorerOptions

MAGIC = b"QUALKIT-SCORER\n"
FORMAT = 1
MAX_MEMBER_BYTES = 512 * 2**20  # a model of the bundled kind is a few MB; a zip bomb is refused unread
MAX_TOTAL_BYTES = 1024 * 2**20
_ARRAY_NAME = re.compile(r"^(idf_\d+|text_weights|rule_weights_\d+)\.npy$")
_RETRAIN = "retrain with `qualkit train`"


def dumps(scorer: Scorer) -> bytes:
    """The scorer as bytes: MAGIC, then a zip of meta.json and .npy arrays."""
    import numpy as np

    codes = list(scorer.models)
    meta = {
        "format": FORMAT,
        "options": {**scorer.options.__dict__, "cutoffs": scorer.options.cutoffs.value},
        "codes": list(scorer.codes),
        "global_cutoff": scorer.global_cutoff,
        "training_size": scorer.training_size,
        "choices": [scorer.choices[code].as_dict() for code in scorer.codes],
        "blocks": [
            {"spec": {**block.spec.__dict__, "ngram_range": list(block.spec.ngram_range)}, "terms": list(block.terms)}
            for block in scorer.features.blocks
        ],
        "models": [
            {"code": code, "patterns": list(m.patterns), "intercept": m.intercept,
             "calibration": list(m.calibration), "cutoff": m.cutoff}
            for code, m in scorer.models.items()
        ],
    }
    arrays: dict[str, Any] = {f"idf_{i}": block.idf for i, block in enumerate(scorer.features.blocks)}
    width = scorer.features.width
    arrays["text_weights"] = (
        np.vstack([scorer.models[c].text_weights for c in codes]).astype("float32") if codes
        else np.zeros((0, width), dtype="float32"))
    for i, code in enumerate(codes):
        arrays[f"rule_weights_{i}"] = scorer.models[code].rule_weights.astype("float32")
    buffer = io.BytesIO()
    buffer.write(MAGIC)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.json", json.dumps(meta, ensure_ascii=False))
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(f"{name}.npy", member.getvalue())
    return buffer.getvalue()


def loads(blob: bytes) -> Scorer:
    """A scorer from :func:`dumps` bytes; anything else is refused with a ModelError, unexecuted."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise ModelError(f"the stored model is {type(blob).__name__}, not bytes; {_RETRAIN}")
    blob = bytes(blob)
    if not blob.startswith(MAGIC):
        if blob[:1] == b"\x80" or blob[:1] in (b"(", b"c", b"]", b"}"):
            raise ModelError(
                "the stored model is a pickle (earlier qualkit versions stored models that way, or someone put "
                f"one there); qualkit does not open pickles because loading one can run code; {_RETRAIN}")
        raise ModelError(f"the stored model is not a qualkit model (it does not start with {MAGIC!r}); {_RETRAIN}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob[len(MAGIC):]))
        members = {info.filename: info for info in archive.infolist()}
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ModelError(f"the stored model is damaged ({error}); {_RETRAIN}") from None
    unexpected = sorted(name for name in members if name != "meta.json" and not _ARRAY_NAME.match(name))
    if unexpected:
        raise ModelError(f"the stored model has unexpected members {unexpected[:5]}; refusing to load it; {_RETRAIN}")
    if "meta.json" not in members:
        raise ModelError(f"the stored model has no meta.json; {_RETRAIN}")
    if any(info.file_size > MAX_MEMBER_BYTES for info in members.values()) or \
            sum(info.file_size for info in members.values()) > MAX_TOTAL_BYTES:
        raise ModelError(f"the stored model is larger than qualkit ever writes ({MAX_TOTAL_BYTES // 2**20} MB); "
                         f"refusing to unpack it; {_RETRAIN}")
    try:
        meta = json.loads(archive.read("meta.json").decode("utf-8"))
        arrays = {name[:-4]: _array(archive, name) for name in members if name.endswith(".npy")}
        return _rebuild(meta, arrays)
    except ModelError:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, zipfile.BadZipFile, OSError, EOFError) as error:
        raise ModelError(f"the stored model is not one qualkit can read ({type(error).__name__}: {error}); "
                         f"{_RETRAIN}") from None


def _array(archive: zipfile.ZipFile, name: str):
    import numpy as np

    with archive.open(name) as handle:
        array = np.lib.format.read_array(handle, allow_pickle=False)  # an object array raises ValueError
    if array.dtype.kind != "f":
        raise ModelError(f"the stored model's {name} holds {array.dtype}, not floats; {_RETRAIN}")
    return array


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise ModelError(f"the stored model is inconsistent: {what}; {_RETRAIN}")


def _number(value: Any, what: str) -> float:
    _check(isinstance(value, int | float) and not isinstance(value, bool), f"{what} is not a number")
    return float(value)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    _check(isinstance(value, list) and all(isinstance(v, str) for v in value), f"{what} is not a list of strings")
    return tuple(value)


def _options(raw: Any) -> ScorerOptions:
    _check(isinstance(raw, dict), "options is not an object")
    defaults = ScorerOptions()
    values: dict[str, Any] = {}
    for name, default in defaults.__dict__.items():
        if name not in raw:
            continue
        value = raw[name]
        if isinstance(default, CutoffPolicy):
            _check(value in {p.value for p in CutoffPolicy}, f"options.{name} is {value!r}")
            values[name] = CutoffPolicy(value)
        elif isinstance(default, bool):
            _check(isinstance(value, bool), f"options.{name} is not true/false")
            values[name] = value
        elif isinstance(default, int):
            _check(isinstance(value, int) and not isinstance(value, bool), f"options.{name} is not a whole number")
            values[name] = value
        else:
            values[name] = _number(value, f"options.{name}")
    return ScorerOptions(**values)


def _spec(raw: Any) -> VectorizerSpec:
    _check(isinstance(raw, dict), "a text block's spec is not an object")
    _check(raw.get("analyzer") in ("word", "char_wb") and raw.get("column") in ("text", "context"),
           "a text block has an unknown analyzer or column")
    low, high = raw.get("ngram_range", [None, None])
    _check(all(isinstance(v, int) and 0 < v <= 8 for v in (low, high)) and low <= high, "a bad n-gram range")
    max_features = raw.get("max_features")
    _check(max_features is None or isinstance(max_features, int), "max_features is not a whole number")
    _check(isinstance(raw.get("name"), str) and isinstance(raw.get("min_df"), int), "a block lacks name or min_df")
    return VectorizerSpec(raw["name"], raw["column"], raw["analyzer"], (low, high), raw["min_df"],
                          _number(raw.get("weight"), "a block weight"), max_features)


def _rebuild(meta: Any, arrays: Mapping[str, Any]) -> Scorer:
    _check(isinstance(meta, dict), "meta.json is not an object")
    if meta.get("format") != FORMAT:
        raise ModelError(f"the stored model has format {meta.get('format')!r}; this qualkit reads format {FORMAT}; "
                         f"{_RETRAIN}")
    options = _options(meta.get("options"))
    blocks = []
    for i, raw in enumerate(meta.get("blocks", [])):
        terms = _strings(raw.get("terms"), "a block's terms")
        idf = arrays.get(f"idf_{i}")
        _check(idf is not None and idf.shape == (len(terms),), f"block {i}'s idf does not match its terms")
        assert idf is not None  # for the type checker: _check raised otherwise
        blocks.append(FittedBlock(_spec(raw.get("spec")), terms, idf.astype("float32")))
    features = TextFeatures(tuple(block.spec for block in blocks), tuple(blocks)).rebuild()
    width = features.width
    raw_models = meta.get("models", [])
    _check(isinstance(raw_models, list), "models is not a list")
    text_weights = arrays.get("text_weights")
    _check(text_weights is not None and text_weights.shape == (len(raw_models), width),
           "text weights do not match the codes and terms")
    assert text_weights is not None
    models: dict[str, CodeModel] = {}
    for i, raw in enumerate(raw_models):
        _check(isinstance(raw, dict) and isinstance(raw.get("code"), str), "a model has no code")
        patterns = _strings(raw.get("patterns"), f"{raw['code']}'s patterns")
        rule_weights = arrays.get(f"rule_weights_{i}")
        _check(rule_weights is not None and rule_weights.shape == (len(RULE_COUNT_FEATURES) + len(patterns),),
               f"{raw['code']}'s rule weights do not match its patterns")
        assert rule_weights is not None
        calibration = raw.get("calibration")
        _check(isinstance(calibration, list) and len(calibration) == 2, f"{raw['code']}'s calibration")
        models[raw["code"]] = CodeModel(
            text_weights[i].astype("float32"), rule_weights.astype("float32"), patterns,
            _number(raw.get("intercept"), "an intercept"),
            (_number(calibration[0], "a calibration"), _number(calibration[1], "a calibration")),
            _number(raw.get("cutoff"), "a cut-off"),
        )
    codes = _strings(meta.get("codes"), "codes")
    raw_choices = meta.get("choices")
    _check(isinstance(raw_choices, list) and all(isinstance(c, dict) for c in raw_choices), "choices")
    fields = set(CodeChoice.__dataclass_fields__)
    choices = {}
    for raw in raw_choices:
        _check(set(raw) <= fields and isinstance(raw.get("code"), str), "a choice has unknown fields")
        choices[raw["code"]] = CodeChoice.from_dict(raw)
    _check(set(choices) == set(codes), "choices do not cover the codes")
    _check(all(choices[c].source.value == "rules" or c in models for c in codes), "a model code has no model")
    training_size = meta.get("training_size")
    _check(isinstance(training_size, int), "training_size")
    return Scorer(features, models, choices, options, _number(meta.get("global_cutoff"), "global_cutoff"),
                  training_size, codes)
