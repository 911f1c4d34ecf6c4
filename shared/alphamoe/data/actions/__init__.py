"""Corporate actions as data: cash dividends, bonus and capitalisation shares, rights issues.

`model` holds the typed record and the exchange's ex-rights reference rule; `store` keeps the records beside
the bars (`corporate_actions.parquet`) and answers point-in-time reads; `layouts` reads the tushare
`dividend` and akshare 分红送配 exports; `infer` derives actions from the exchange's ex-rights previous close
when a source publishes nothing else (the ganlei layout). Applying them to accounts is the accounts' job.
"""
