"""Import staff from a CSV file: check every row first, then import all or nothing."""

import streamlit as st

from pages._ui import csv_import, current_actor, show_flash
from qa.organisation import staff_import

actor = current_actor()
st.title("Import staff", anchor=False)
show_flash()
st.write(
    "Upload a CSV file of staff. Every row is checked first. If any row has a problem, nothing is imported: "
    "fix the file and upload it again. Importing the same file twice changes nothing."
)
st.markdown("Columns: " + ", ".join(f"`{c}`" for c in staff_import.STAFF_COLUMNS))
st.download_button("Download a template", staff_import.template_csv(), file_name="staff-template.csv", mime="text/csv")

csv_import(
    "staff_csv",
    lambda data: staff_import.preview_import(actor, data),
    lambda data: staff_import.import_staff(actor, data),
    "Import staff",
)
