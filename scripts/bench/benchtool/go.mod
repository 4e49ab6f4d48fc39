module llmsidecar.bench/benchtool

go 1.22
