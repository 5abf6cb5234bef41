"""The CAD kernel side of designs: STEP in and out, exact B-rep measures, parametric templates.

OpenCASCADE (the `OCP` bindings of `cadquery-ocp`) costs about 0.5 s and 500 MB of address
space to import, so nothing here imports it at module level except `brep.py` and the modules
that build shapes; the web process only ever reaches them through the analysis child process.
No Django import: this is a pure core like `geometry/`.
"""
