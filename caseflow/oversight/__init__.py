"""The district's supervision of the townships: spot checks (抽查) and complaints (投诉举报)."""
