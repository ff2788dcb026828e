"""Import staff from a CSV file: check every row first, then import all or nothing."""

import pandas as pd
import streamlit as st

from pages._ui import current_actor, flash, show_flash
from qa import staff_import

actor = current_actor()
st.title("Import staff")
show_flash()
st.write(
    "Upload a CSV file of staff. Every row is checked first. If any row has a problem, nothing is imported: "
    "fix the file and upload it again. Importing the same file twice changes nothing."
)
st.markdown("Columns: " + ", ".join(f"`{c}`" for c in staff_import.STAFF_COLUMNS))
st.download_button("Download a template", staff_import.template_csv(), file_name="staff-template.csv", mime="text/csv")

upload = st.file_uploader("CSV file", type=["csv"], key="staff_csv")
if upload is None:
    st.stop()

data = upload.getvalue()
report = staff_import.preview_import(actor, data)


def show_errors(report) -> None:
    st.error(f"{len(report.errors)} problem{'s' if len(report.errors) != 1 else ''} found. Nothing has been imported.")
    st.dataframe(
        pd.DataFrame([{"Row": e.row or "File", "Problem": e.message} for e in report.errors]),
        hide_index=True,
        width="stretch",
    )


if not report.ok:
    show_errors(report)
    st.stop()

st.info(
    f"Ready to import: {report.to_create} new, {report.to_update} to update, {report.unchanged} unchanged."
)
if st.button("Import staff", type="primary", disabled=report.to_create + report.to_update == 0):
    result = staff_import.import_staff(actor, data)
    if result.ok:
        flash(f"Import finished: {result.to_create} added, {result.to_update} updated, {result.unchanged} unchanged.")
        st.rerun()
    else:
        show_errors(result)
