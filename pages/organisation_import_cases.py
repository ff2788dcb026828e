"""Import cases from a CSV extract: check every row first, then import all or nothing."""

import pandas as pd
import streamlit as st

from db.organisation import Role
from pages._ui import csv_import, current_actor, dataframe, show_flash
from qa.organisation import case_import

actor = current_actor()
st.title("Import cases", anchor=False)
show_flash()
st.write(
    "Upload a CSV extract of cases. Every row is checked first. If any row has a problem, nothing is imported: "
    "fix the file and upload it again. Importing the same file twice changes nothing, and cases that are not "
    "in the file are left as they are."
)
st.info(
    "The portal stores only a case reference (such as the CRN) and the facts an audit needs. It never stores "
    "the names, dates of birth or addresses of people on probation. A file with columns that look like them "
    "is refused: remove those columns before you upload.",
    icon=":material/lock:",
)
if not actor.has(Role.ADMIN):
    st.caption("As a quality-assurance lead you can import cases for your own PDU only.")

st.markdown("Columns: " + ", ".join(f"`{c}`" for c in case_import.CASE_COLUMNS))
with st.expander("What goes in each column"):
    dataframe(
        pd.DataFrame([{"Column": c, "What it holds": case_import.COLUMN_HELP[c]} for c in case_import.CASE_COLUMNS]),
        hide_index=True,
        width="stretch",
    )
st.download_button("Download a template", case_import.template_csv(), file_name="cases-template.csv", mime="text/csv")

csv_import(
    "cases_csv",
    lambda data: case_import.preview_import(actor, data),
    lambda data: case_import.import_cases(actor, data),
    "Import cases",
)
