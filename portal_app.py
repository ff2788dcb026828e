"""The portal's launcher: the Streamlit app (app.py, the router script) served through st.App,
Streamlit's ASGI application on Starlette and uvicorn, with the portal's own routes,
middleware, start-up and error handling (portal/web.py).

    streamlit run portal_app.py                       # Streamlit finds `app` below and serves it
    uvicorn portal_app:app --host 0.0.0.0 --port 8501 # the same, straight under uvicorn

See docs/DEPLOY.md for running several processes behind nginx.
"""

import streamlit as st
from starlette.middleware import Middleware

from portal import web

app = st.App(
    "app.py",
    routes=web.ROUTES,
    middleware=[Middleware(web.PortalMiddleware)],
    lifespan=web.lifespan,
    on_script_error=web.on_script_error,
    exception_handlers={Exception: web.server_error},
)
