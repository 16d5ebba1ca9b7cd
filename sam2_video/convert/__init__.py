"""Dataset converters: EndoVis 2017 / 2018, CholecSeg8k, DAVIS / polyp folders -> COCO clip JSON.

Entry points: :func:`sam2_video.convert.endovis.convert_endovis`,
:func:`sam2_video.convert.cholecseg8k.convert_cholecseg8k`,
:func:`sam2_video.convert.video_folder.convert_video_folder` and
:func:`sam2_video.convert.morphology.apply_opening`. See ``docs/converters.md``.
"""
