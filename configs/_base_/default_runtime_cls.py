# Runtime for mmpretrain-scope configs (the CAM classifier): upstream + mmwsss.
_base_ = ['mmpretrain::_base_/default_runtime.py', './mmwsss_runtime.py']
