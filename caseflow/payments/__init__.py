"""Payments (发放): the monthly roll per township, its risk checks, bank exports and 提标 changes.

A roll is a case of the `roll` workflow (prepared → checked → signed); its rows are snapshots of
what each household is paid that month, computed from the cases as stored. Once signed, a roll
and its rows never change (code and database triggers); corrections are adjustments that the next
roll of the township picks up.
"""
