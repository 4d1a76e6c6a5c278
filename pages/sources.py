"""Sources: every official file the figures come from, with checksums, plus what is missing,
the caveats in plain words and a button to rebuild the cache."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from geo import sources, text
from geo.caveats import code_move_lines
from geo.model import resolve_all
from ui import releases as release_panel
from ui import shell, tables

PAGE = "sources"
model, error = shell.model_or_error()
if model is not None:
    state = shell.load_state(model)
    shell.chrome(state)

st.markdown("# Sources")
st.markdown("<p class='aam-lede'>Every number in this app is computed from the files below. Each is an "
            "official publication, read as published; the checksum (SHA-256) identifies the exact file.</p>",
            unsafe_allow_html=True)

if model is not None:
    provenance, missing = model.provenance, model.missing
else:
    st.error(f"The app cannot start because required files are missing: {error}")
    provenance, missing = resolve_all(allow_download=False)

registry = sources.load_registry()
ORIGINS = {"cache": "download cache", "data-dir": "folder you named", "shared": "shared data folder",
           "download": "downloaded from the publisher"}
rows = []
# Every edition loaded (several Reg_02 or Asy_D11 files each give their own quarters), newest last.
every = ({sid: model.editions.get(sid) or [p] for sid, p in provenance.items()} if model is not None
         else {sid: [p] for sid, p in provenance.items()})
for sid, p in ((sid, p) for sid, found in every.items() for p in found):
    rows.append({
        "Dataset": p.title, "Publisher": p.publisher, "Release": p.release, "File": p.file_name,
        "Found in": ORIGINS.get(p.origin, p.origin), "Path": p.path, "Size": f"{p.size_bytes / 1e6:,.2f} MB",
        "SHA-256": p.sha256, "Read": p.resolved_at, "Source id": sid,
    })
st.markdown(f"### Loaded files ({len(rows)})")
tables.dataframe(st, pd.DataFrame(rows), hide_index=True, width="stretch",
             column_config={"SHA-256": st.column_config.TextColumn("SHA-256", width="large"),
                            "Path": st.column_config.TextColumn("Path", width="medium")})

if model is not None:
    stats = model.stats
    periods = model.periods
    st.markdown(
        f"**Asylum support figures:** {len(periods)} quarters, {text.quarter_label(periods[0])} to "
        f"{text.quarter_label(periods[-1])}: "
        + "; ".join(f"{len(g)} from {model.provenance[sid].file_name} ({text.quarter_label(g.min())} to "
                    f"{text.quarter_label(g.max())})" for sid, g in pd.Series(periods).groupby(
                        [model.period_source(p) for p in periods]) if sid in model.provenance)
        + f" (Asy_D11: sheet '{stats['sheet'].iloc[0]}', {model.stats_release}). "
        f"**Boundaries:** {len(model.lads):,} councils"
        + (f" and {len(model.wards):,} wards" if model.wards is not None else "")
        + f". **Residents:** {int(model.lads['population'].notna().sum()):,} councils with a figure"
        + (f"; {int(model.wards['population'].notna().sum()):,} wards with a figure, "
           f"{int(model.wards['population'].isna().sum()):,} with no estimate" if model.wards is not None else "")
        + ".")

if model is not None:
    st.markdown("### Checks between tables")
    if model.reconciliation:
        for line in model.reconciliation:
            st.warning(line)
    elif model.editions.get("reg02"):
        st.success("Reg_01's regional and UK totals equal the sum of Reg_02's councils in every edition loaded.")
    if "quarterly_totals" in provenance:
        fallback = [p for p in model.periods if model.period_source(p) == "quarterly_totals"]
        st.warning(f"Quarters {', '.join(text.quarter_label(p) for p in fallback) or 'none'} come from "
                   f"{provenance['quarterly_totals'].file_name}, a hand-made totals series handed over as a "
                   "fallback: it is not a Home Office file.")

st.markdown("### Missing files")
if missing:
    for sid, message in missing.items():
        s = registry.get(sid)
        if s is not None and s.fallback:
            st.info(f"**Not used: {s.title}.** A fallback read only from a folder you name; the published "
                    "Home Office files above are used instead.")
            continue
        need = "Required" if s is not None and s.required else "Optional"
        st.warning(f"**{need}: {s.title if s else sid}.** {message}")
else:
    st.success("None: every dataset in the registry was found.")

st.markdown("### Where each dataset comes from")
for s in registry.values():
    where = s.landing_page or s.download_url or "the publisher"
    st.markdown(f"- **{s.title}** ({s.publisher}, {s.release}): [{where}]({where}). Licence: {s.licence}.")

release_panel.panel(model, admin=release_panel.is_admin())

st.markdown("### Things to know")
for line in (model.caveats() if model is not None else shell.CAVEATS):
    st.markdown(f"- {line}")
if model is not None and model.code_moves:
    lad_names = dict(zip(model.lads["lad_code"], model.lads["lad_name"], strict=True))
    for line in code_move_lines(model.code_moves, lad_names,
                                {sid: p.title for sid, p in model.provenance.items()},
                                model.provenance["lad_boundaries"].file_name):
        st.markdown(f"- {line}")

st.markdown("### Cache")
cache = (model.cache_dir if model is not None else sources.cache_dir()) / "built"
built = sorted(cache.glob("*.parquet")) if cache.is_dir() else []
st.markdown(f"Tables and simplified boundaries are cached in `{cache}` ({len(built)} files), keyed by the "
            "checksums above, so a new release rebuilds them by itself. Rebuild by hand if a file was replaced "
            "in place or the cache looks wrong.")
MODEL_FILES = ("asy_d11-", "lads-", "wards-", "lad_web-", "ward_web-")
if st.button("Rebuild the cache", key="rebuild_cache", type="secondary"):
    removed = 0
    for path in built:
        if path.name.startswith(MODEL_FILES):
            for f in (path, path.with_suffix(".json")):
                try:
                    Path(f).unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
    st.cache_data.clear()
    st.cache_resource.clear()
    with st.spinner("Rebuilding from the official files..."):
        model, error = shell.model_or_error()
    if model is not None:
        st.success(f"Rebuilt: removed {removed} cached files and read every source again.")
    else:
        st.error(f"Could not rebuild: {error}")

if model is not None:
    shell.footer(model, tuple(model.provenance), model.latest_period,
              note="The as-at date is the latest quarter any loaded file covers.")
    shell.save_state(state, PAGE)
