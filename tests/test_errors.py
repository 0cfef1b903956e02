"""The error tree a user may import: pinned, so a rename is a deliberate, visible change."""

from __future__ import annotations

import inspect

import qualkit.errors as errors

PUBLIC = {
    "AgreementError", "AnalysisError", "CasesError", "CodebookError", "DatabaseBusyError", "EngineError",
    "ExportError", "IngestError", "ModelError", "NotFoundError", "PatternTimeoutError", "ProjectError",
    "PseudonymLeakError", "PseudonymisationError", "QualkitError", "QualkitWarning", "RefiError", "RefiSafetyError",
    "RefiWarning", "ReviewError", "StagedSuggestionsError", "YamlSourceError",
    # the web server (#21)
    "AccountError", "SignInError", "WebServerError",
    # issue #20
    "BackupError", "CodeChangeError", "MemoError", "SearchError",
    # issue #18
    "DocumentInUseError",
    # issue #17: one `code` run at a time
    "RunInProgressError",
}


def test_errors_public_names_are_pinned():
    assert set(errors.__all__) - {"did_you_mean"} == PUBLIC


def test_errors_every_error_descends_from_the_root_and_is_in_the_docstring():
    for name in PUBLIC:
        cls = getattr(errors, name)
        root = errors.QualkitWarning if issubclass(cls, Warning) else errors.QualkitError
        assert issubclass(cls, root), name
        assert cls.__doc__, name
        assert name in errors.__doc__, f"{name} is missing from the tree drawn in errors.py"


def test_errors_no_other_module_defines_an_error_class():
    import pkgutil

    import qualkit

    for module_info in pkgutil.walk_packages(qualkit.__path__, "qualkit."):
        if module_info.name in ("qualkit.errors", "qualkit.__main__"):
            continue
        module = __import__(module_info.name, fromlist=["_"])
        for name, value in vars(module).items():
            private = name.startswith("_")  # control flow inside a module, never seen by a user
            if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == module_info.name \
                    and not private:
                raise AssertionError(f"{module_info.name}.{name} is an error class outside qualkit/errors.py")


def test_errors_did_you_mean_suggests_the_nearest():
    assert errors.did_you_mean("culture.trsut", ["culture.trust", "offer.npq"]) == " (did you mean 'culture.trust'?)"
    assert errors.did_you_mean("zzz", ["culture.trust"]) == ""
