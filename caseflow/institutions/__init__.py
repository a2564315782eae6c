"""特困 institutional care (集中供养): institutions (敬老院 / 供养服务机构), their beds, and the
admission case (入院) that places a 特困 person in a bed, moves them out or records a death."""
