"""The run's config, `evaluation.toml`: loaded, checked against `data_schema/config.schema.json`,
defaults filled in, and returned as a small typed object.

Every problem in the config is reported at once, each naming the key (`[programme] start`).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import jsonschema

from .problems import ConfigError, Problem
from .schema import config_schema

CONFIG_FILENAME = "evaluation.toml"


@dataclass(frozen=True)
class ProgrammeConfig:
    name: str
    suites: tuple[str, ...]
    start: dt.date
    end: dt.date
    home_areas: tuple[str, ...]
    age_min: int
    age_max: int
    description: str | None = None
    description_source: str | None = None
    design: str = "custody_contacts"  # or "spells" (evaluation.spells)
    population: str | None = None  # "children", "young people" or "people" (None: from the ages; report.words)
    index_events: tuple[str, ...] = ("custody_detention",)  # kinds of index event (custody_detentions.event_kind)


@dataclass(frozen=True)
class SpellsConfig:
    window_months: int = 12
    offence_types: tuple[str, ...] = ("offence",)


@dataclass(frozen=True)
class ComparisonConfig:
    suites: tuple[str, ...] = ()
    pre_period_start: dt.date | None = None
    pre_period_end: dt.date | None = None
    residence_areas: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SourceConfig:
    """Where and how one table's file(s) are read, as received (`[[data.sources]]`)."""

    table: str
    file: str  # a name or glob in the data folder
    sheet: str | None = None
    header_row: int = 1
    delimiter: str | None = None  # None: a comma, or detected
    encoding: str | None = None  # None: [data] encoding
    date_format: str | None = None
    datetime_format: str | None = None
    total_rows: str = "error"  # or "skip"
    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class DataConfig:
    extract_date: dt.date
    date_format: str = "%Y-%m-%d"
    datetime_format: str | None = None
    encoding: str = "utf-8"
    events_start: dt.date | None = None
    event_types_recorded: tuple[str, ...] = ("offence", "victimisation", "missing_episode")
    sources: tuple[SourceConfig, ...] = ()

    def sources_for(self, table: str) -> tuple[SourceConfig, ...]:
        return tuple(s for s in self.sources if s.table == table)

    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class EngagementConfig:
    age_bands: tuple[tuple[int, int], ...] = ((10, 14), (15, 17))
    followup_within_hours: int = 48
    outcome_labels: Mapping[str, str] = field(default_factory=dict)  # outcome code -> the programme's own name


@dataclass(frozen=True)
class MatchingConfig:
    covariates: tuple[str, ...] | None = None  # None: the cohort's default covariates
    distance: str = "glm"
    link: str = "linear.logit"
    ratio: int | str = "auto"
    max_ratio: int = 5
    min_treated_share: float = 0.95
    caliper: float | None = 0.2
    std_caliper: bool = True
    replace: bool = False
    exact: tuple[str, ...] = ()
    m_order: str | None = None
    discard: str = "none"
    balance_threshold: float = 0.1
    comparison_design: str = "pooled"
    risk_set_interval: str = "month"


@dataclass(frozen=True)
class OutcomesConfig:
    windows_months: tuple[int, ...] = (6, 12)
    placebo: bool = True
    overdispersion_threshold: float = 1.5
    sensitivity_without_prior_outcomes: bool = True
    did_matching: str = "without_prior_outcomes"
    later_approach: str = "censor"
    placebo_equivalence_margin: float = 1.25


@dataclass(frozen=True)
class ReoffendingConfig:
    follow_up_months: int = 12
    waiting_months: int = 6
    count_diversion_outcomes: bool = False
    rearrest_windows_months: tuple[int, ...] = (6, 12)
    min_reoffenders: int = 30
    national_benchmark: str | None = "juvenile_proven_reoffending_2022"
    power_targets: tuple[str, ...] = ("yef_formal_diversion_2025", "yef_informal_diversion_2025")


@dataclass(frozen=True)
class AsReported:
    measure: str
    value: float
    statement: str
    source: str
    numerator: float | None = None
    denominator: float | None = None
    basis: str = "all"


@dataclass(frozen=True)
class CostsConfig:
    price_year: str | None = None
    discount_rate: float = 0.035
    horizon_years: int = 1
    persistence: float = 0.0
    attribution: float = 1.0
    optimism_bias_costs: float = 0.0
    optimism_bias_benefits: float = 0.0
    unit_cost_uncertainty: float = 0.25
    monte_carlo_draws: int = 10000
    window_months: int | None = None
    benefit_map: Mapping[str, str] = field(default_factory=dict)
    crime_costs: str = "gmca_2010_11"
    cashable_shares: Mapping[str, float] = field(default_factory=dict)
    renewal_budget: float | None = None
    renewal_months: int = 12
    renewal_ramp_up_months: float = 1.0
    renewal_benefit_bias: Mapping[str, float] = field(default_factory=lambda: {"strong": 0.1, "moderate": 0.25, "weak": 0.4})
    overlapping_lines_intended: bool = False
    staff_gaps_intended: bool = False
    as_reported: tuple[AsReported, ...] = ()


@dataclass(frozen=True)
class PhaseConfig:
    """A period of the programme with its own team and budget (`[[phases]]`)."""

    name: str
    start: dt.date
    end: dt.date
    team_size: float | None = None
    budget: float | None = None
    description: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class DisclosureConfig:
    threshold: int = 5
    min_rate_base: int = 20


@dataclass(frozen=True)
class CoIntervention:
    """Another scheme in the same custody suite or area, named in the report's limitations."""

    name: str
    description: str
    source: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ReportConfig:
    title: str
    author: str | None = None
    commissioner: str | None = None
    version: str | None = None
    report_date: dt.date | None = None
    decision_date: dt.date | None = None
    period_reason: str | None = None
    seed: int = 20201019
    co_interventions: tuple[CoIntervention, ...] = ()
    #: stage (inputs ... impacts) -> boxes the programme's own theory of change adds to the logic model
    logic_model: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineConfig:
    """Where the events are queried: "duckdb" (in this process) or "spark" (evaluation.engine)."""

    name: str = "duckdb"
    spark_master: str = "local[2]"


@dataclass(frozen=True)
class Config:
    """A validated config. `as_dict()` gives the full config with defaults, as recorded in reports."""

    programme: ProgrammeConfig
    comparison: ComparisonConfig
    data: DataConfig
    engagement: EngagementConfig
    matching: MatchingConfig
    outcomes: OutcomesConfig
    reoffending: ReoffendingConfig
    costs: CostsConfig
    disclosure: DisclosureConfig
    report: ReportConfig
    phases: tuple[PhaseConfig, ...] = ()
    spells: SpellsConfig = field(default_factory=SpellsConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    source: str = "<dict>"
    sha256: str | None = None
    _resolved: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self._resolved))


def _key_path(path) -> str:
    parts = [str(p) for p in path]
    if not parts:
        return "(top level)"
    head = f"[{parts[0]}]"
    return head + (" " + ".".join(parts[1:]) if len(parts) > 1 else "")


def _jsonable(value: Any) -> Any:
    """TOML dates become ISO strings so the JSON Schema can check them."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()  # fails format "date" on purpose: a time is not a date
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _schema_message(err: jsonschema.ValidationError) -> str:
    v = err.validator
    if v == "format" and err.validator_value == "date":
        return f"expected a date written as YYYY-MM-DD (e.g. 2020-10-19), got {err.instance!r}"
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"missing required key '{missing}'"
    if v == "additionalProperties":
        allowed = ", ".join(sorted(err.schema.get("properties", {}))) or "none"
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return f"unknown key(s) {', '.join(map(repr, extra))}; allowed keys here: {allowed}"
    if "propertyNames" in err.schema_path:
        return f"{err.instance!r} is not a table; expected one of {', '.join(err.validator_value)}"
    if v == "enum":
        return f"{err.instance!r} is not allowed; expected one of {', '.join(map(str, err.validator_value))}"
    if v == "type":
        return f"expected {err.validator_value}, got {err.instance!r}"
    return err.message


def _fill_defaults(schema: Mapping[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    out = dict(value)
    for key, prop in schema.get("properties", {}).items():
        if key not in out and "default" in prop:
            out[key] = copy.deepcopy(prop["default"])
        if prop.get("type") == "object" and "properties" in prop:
            out[key] = _fill_defaults(prop, out.get(key, {}))
    return out


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def config_from_dict(raw: Mapping[str, Any], source: str = "<dict>", sha256: str | None = None) -> Config:
    """Validate a config given as a dict (as parsed from TOML) and fill in its defaults."""
    schema = config_schema()
    data = _jsonable(dict(raw))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    problems = [
        Problem(file=source, column=_key_path(err.absolute_path), message=_schema_message(err), rule="config_schema", column_label="key")
        for err in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    ]
    if problems:
        raise ConfigError(problems)
    resolved = _fill_defaults(schema, data)
    p, c, d, e, mt, oc, ro, co, ds, r = (
        resolved.get(k, {})
        for k in ("programme", "comparison", "data", "engagement", "matching", "outcomes", "reoffending", "costs", "disclosure", "report")
    )

    def bad(key: str, message: str) -> None:
        problems.append(Problem(file=source, column=key, message=message, rule="config_logic", column_label="key"))

    start, end = _date(p["start"]), _date(p["end"])
    assert start is not None and end is not None  # required by the schema, checked above
    if end < start:
        bad("[programme] end", f"the programme ends ({end}) before it starts ({start})")
    if p["design"] == "custody_contacts" and not p["suites"]:
        bad("[programme] suites", 'name the custody suite(s) where the programme meets people (or set design = "spells")')
    if p["age_max"] < p["age_min"]:
        bad("[programme] age_max", f"age_max {p['age_max']} is below age_min {p['age_min']}")
    extract = _date(d["extract_date"])
    assert extract is not None  # required by the schema, checked above
    if extract < start:
        bad("[data] extract_date", f"the extract ({extract}) was taken before the programme started ({start})")
    pre_start, pre_end = _date(c.get("pre_period_start")), _date(c.get("pre_period_end"))
    if pre_start and pre_end:
        if pre_end < pre_start:
            bad("[comparison] pre_period_end", f"the pre-programme period ends ({pre_end}) before it starts ({pre_start})")
        if pre_end >= start:
            bad("[comparison] pre_period_end", f"the pre-programme period must end before the programme starts ({start}), not on {pre_end}")
    overlap = sorted(set(c.get("suites", [])) & set(p["suites"]))
    if overlap:
        bad(
            "[comparison] suites",
            f"{', '.join(overlap)} is a programme suite; use pre_period_start/pre_period_end for a pre-programme comparison there",
        )
    bands = [tuple(b) for b in e["age_bands"]]
    for i, (lo, hi) in enumerate(bands):
        if hi < lo:
            bad("[engagement] age_bands", f"band {i + 1} [{lo}, {hi}] ends before it starts")
    for (lo1, hi1), (lo2, hi2) in zip(sorted(bands), sorted(bands)[1:]):
        if lo2 <= hi1:
            bad("[engagement] age_bands", f"bands [{lo1}, {hi1}] and [{lo2}, {hi2}] overlap")
    if mt["comparison_design"] == "risk_set" and not c.get("suites"):
        bad(
            "[matching] comparison_design",
            "risk-set matching compares children eligible at the same calendar time, so it needs "
            "[comparison] suites (children detained elsewhere during the programme); a pre-programme period cannot be concurrent",
        )
    if mt["distance"] == "mahalanobis" and mt["caliper"]:
        bad("[matching] caliper", 'a caliper on the distance needs a propensity score (distance = "glm"); set caliper = 0')
    for key in ("date_format", "datetime_format"):
        fmt = d.get(key)
        if fmt is not None and "%" not in fmt:
            bad(f"[data] {key}", f"{fmt!r} is not a strftime format (e.g. '%d/%m/%Y')")
    for i, s in enumerate(d.get("sources", [])):
        for key in ("date_format", "datetime_format"):
            fmt = s.get(key)
            if fmt is not None and "%" not in fmt:
                bad(f"[[data.sources]] {i + 1} ({s['file']}) {key}", f"{fmt!r} is not a strftime format (e.g. '%d/%m/%Y')")
    phases = []
    for i, ph in enumerate(resolved.get("phases", [])):
        key = f"[[phases]] {i + 1} ({ph['name']})"
        p_start, p_end = _date(ph["start"]), _date(ph["end"])
        assert p_start is not None and p_end is not None  # required by the schema, checked above
        if p_end < p_start:
            bad(key, f"the phase ends ({p_end}) before it starts ({p_start})")
        if p_start < start or p_end > end:
            bad(key, f"the phase ({p_start} to {p_end}) must lie inside the programme period ({start} to {end})")
        phases.append(PhaseConfig(ph["name"], p_start, p_end, ph.get("team_size"), ph.get("budget"), ph.get("description")))
    for a_, b_ in zip(phases, phases[1:]):
        if b_.start <= a_.end:
            bad(
                f"[[phases]] {b_.name}",
                f"starts on {b_.start}, before the phase before it ({a_.name}) ends on {a_.end}: phases are in order and do not overlap",
            )
    names = [ph.name for ph in phases]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        bad("[[phases]] name", f"{dup!r} names more than one phase")
    if problems:
        raise ConfigError(problems)

    return Config(
        programme=ProgrammeConfig(
            name=p["name"],
            suites=tuple(p["suites"]),
            start=start,
            end=end,
            home_areas=tuple(p["home_areas"]),
            age_min=p["age_min"],
            age_max=p["age_max"],
            description=p.get("description"),
            description_source=p.get("description_source"),
            design=p["design"],
            population=p.get("population"),
            index_events=tuple(p["index_events"]),
        ),
        comparison=ComparisonConfig(
            suites=tuple(c.get("suites", [])),
            pre_period_start=pre_start,
            pre_period_end=pre_end,
            residence_areas=tuple(c["residence_areas"]) if "residence_areas" in c else None,
        ),
        data=DataConfig(
            extract_date=extract,
            date_format=d["date_format"],
            datetime_format=d.get("datetime_format"),
            encoding=d["encoding"],
            events_start=_date(d.get("events_start")),
            event_types_recorded=tuple(d["event_types_recorded"]),
            sources=tuple(
                SourceConfig(
                    table=s["table"],
                    file=s["file"],
                    sheet=s.get("sheet"),
                    header_row=s.get("header_row", 1),
                    delimiter=s.get("delimiter"),
                    encoding=s.get("encoding"),
                    date_format=s.get("date_format"),
                    datetime_format=s.get("datetime_format"),
                    total_rows=s.get("total_rows", "error"),
                    columns=dict(s.get("columns", {})),
                    values={k: dict(v) for k, v in s.get("values", {}).items()},
                )
                for s in d.get("sources", [])
            ),
            columns=d.get("columns", {}),
            values=d.get("values", {}),
        ),
        engagement=EngagementConfig(
            age_bands=tuple((int(lo), int(hi)) for lo, hi in bands),
            followup_within_hours=e["followup_within_hours"],
            outcome_labels=dict(e.get("outcome_labels", {})),
        ),
        matching=MatchingConfig(
            covariates=tuple(mt["covariates"]) if "covariates" in mt else None,
            distance=mt["distance"],
            link=mt["link"],
            ratio=mt["ratio"],
            max_ratio=mt["max_ratio"],
            min_treated_share=mt["min_treated_share"],
            caliper=mt["caliper"] or None,
            std_caliper=mt["std_caliper"],
            replace=mt["replace"],
            exact=tuple(mt["exact"]),
            m_order=mt.get("m_order"),
            discard=mt["discard"],
            balance_threshold=mt["balance_threshold"],
            comparison_design=mt["comparison_design"],
            risk_set_interval=mt["risk_set_interval"],
        ),
        outcomes=OutcomesConfig(
            windows_months=tuple(sorted(oc["windows_months"])),
            placebo=oc["placebo"],
            overdispersion_threshold=oc["overdispersion_threshold"],
            sensitivity_without_prior_outcomes=oc["sensitivity_without_prior_outcomes"],
            did_matching=oc["did_matching"],
            later_approach=oc["later_approach"],
            placebo_equivalence_margin=oc["placebo_equivalence_margin"],
        ),
        reoffending=ReoffendingConfig(
            follow_up_months=ro["follow_up_months"],
            waiting_months=ro["waiting_months"],
            count_diversion_outcomes=ro["count_diversion_outcomes"],
            rearrest_windows_months=tuple(sorted(ro["rearrest_windows_months"])),
            min_reoffenders=ro["min_reoffenders"],
            national_benchmark=ro["national_benchmark"],
            power_targets=tuple(ro["power_targets"]),
        ),
        costs=CostsConfig(
            price_year=co.get("price_year"),
            discount_rate=co["discount_rate"],
            horizon_years=co["horizon_years"],
            persistence=co["persistence"],
            attribution=co["attribution"],
            optimism_bias_costs=co["optimism_bias_costs"],
            optimism_bias_benefits=co["optimism_bias_benefits"],
            unit_cost_uncertainty=co["unit_cost_uncertainty"],
            monte_carlo_draws=co["monte_carlo_draws"],
            window_months=co.get("window_months"),
            benefit_map=co.get("benefit_map", {}),
            crime_costs=co["crime_costs"],
            cashable_shares=co["cashable_shares"],
            renewal_budget=co.get("renewal_budget"),
            renewal_months=co["renewal_months"],
            renewal_ramp_up_months=co["renewal_ramp_up_months"],
            renewal_benefit_bias=co["renewal_benefit_bias"],
            overlapping_lines_intended=co["overlapping_lines_intended"],
            staff_gaps_intended=co["staff_gaps_intended"],
            as_reported=tuple(
                AsReported(
                    measure=a["measure"],
                    value=a["value"],
                    statement=a["statement"],
                    source=a["source"],
                    numerator=a.get("numerator"),
                    denominator=a.get("denominator"),
                    basis=a.get("basis", "all"),
                )
                for a in co.get("as_reported", [])
            ),
        ),
        disclosure=DisclosureConfig(threshold=ds["threshold"], min_rate_base=ds["min_rate_base"]),
        phases=tuple(phases),
        spells=SpellsConfig(
            window_months=resolved.get("spells", {}).get("window_months", 12),
            offence_types=tuple(resolved.get("spells", {}).get("offence_types", ["offence"])),
        ),
        engine=EngineConfig(
            name=resolved.get("engine", {}).get("name", "duckdb"),
            spark_master=resolved.get("engine", {}).get("spark_master", "local[2]"),
        ),
        report=ReportConfig(
            title=r.get("title") or f"{p['name']}: evaluation report",
            author=r.get("author"),
            commissioner=r.get("commissioner"),
            version=r.get("version"),
            report_date=_date(r.get("report_date")),
            decision_date=_date(r.get("decision_date")),
            period_reason=r.get("period_reason"),
            seed=r["seed"],
            co_interventions=tuple(CoIntervention(**ci) for ci in r["co_interventions"]),
            logic_model={k: tuple(v) for k, v in (r.get("logic_model") or {}).items() if v},
        ),
        source=source,
        sha256=sha256,
        _resolved=resolved,
    )


def load_config(path: str | Path) -> Config:
    """Read and validate `evaluation.toml`. Raises ConfigError listing every problem."""
    path = Path(path)
    name = path.name
    if not path.exists():
        raise ConfigError([Problem(file=str(path), message="config file not found", rule="config_missing")])
    if path.is_dir():
        raise ConfigError(
            [Problem(file=str(path), message="is a folder; expected the path of an evaluation.toml file", rule="config_missing")]
        )
    blob = path.read_bytes()
    try:
        raw = tomllib.loads(blob.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [Problem(file=name, message=f"is not UTF-8 text ({exc.reason} at byte {exc.start})", rule="config_toml")]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(file=name, message=f"is not valid TOML: {exc}", rule="config_toml")]) from None
    return config_from_dict(raw, source=name, sha256=hashlib.sha256(blob).hexdigest())


#: The report's metadata a commissioner looks for first, and what its absence means.
REPORT_METADATA = {
    "author": "the report names no evaluator",
    "commissioner": "the report names no commissioner",
    "version": "the report carries no version",
    "report_date": "the report carries no date",
}


def report_metadata_warnings(config: Config) -> list[Problem]:
    """A warning naming each [report] key a reader would look for that the config leaves out."""
    file = Path(config.source).name if config.source != "<dict>" else CONFIG_FILENAME
    return [
        Problem(
            file=file,
            column=f"[report] {key}",
            message=f"is not set, so {why}: set it in the config",
            rule="report_metadata",
            severity="warning",
            column_label="key",
        )
        for key, why in REPORT_METADATA.items()
        if getattr(config.report, key) is None
    ]
