# Loads the mmwsss plugin (registers its components, applies compat fixes).
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
