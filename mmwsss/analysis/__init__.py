"""What a WSSS user looks at: CAM overlays, label tiles, confusion matrices
(the logic of ``tools/analysis_tools``). numpy + OpenCV, except
:mod:`.cam_overlay`'s model path (torch, mmpretrain)."""
