"""approval: who drafts, who reviews and who decides, per the 臺北市政府秘書處 分層負責明細表."""

__version__ = "0.1.0"
