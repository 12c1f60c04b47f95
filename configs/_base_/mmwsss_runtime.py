# Loads the mmwsss plugin: mmwsss.mm_components registers its components
# and applies the compatibility fixes (mmwsss/utils/compat.py).
custom_imports = dict(imports=['mmwsss.mm_components'], allow_failed_imports=False)
